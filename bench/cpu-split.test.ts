import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CpuMeter, cpuBoundRate, cpuPerOp, pctOfCore, processCpuMicros, serverBudget } from './cpu-split.ts';

test('CPU per operation: % of a core over the window divided by the rate, summed over the parts measured', () => {
  // 1,000 creates/s: 50% of a core is 500 µs a create, 25% 250, 6% 60; 0.81 cores in all.
  assert.deepEqual(cpuPerOp(1000, { server: 50, etcd: 25, client: 6 }), { serverUs: 500, etcdUs: 250, clientUs: 60, totalUs: 810, coresBusy: 0.81 });
  // Raw puts have no server: null, and not counted.
  assert.deepEqual(cpuPerOp(10_000, { etcd: 60, client: 20 }), { serverUs: null, etcdUs: 60, clientUs: 20, totalUs: 80, coresBusy: 0.8 });
});

test('no rate or nothing measured gives nulls, not NaN or Infinity', () => {
  assert.deepEqual(cpuPerOp(0, { server: 50, etcd: 25, client: null }), { serverUs: null, etcdUs: null, clientUs: null, totalUs: null, coresBusy: 0.75 });
  assert.deepEqual(cpuPerOp(100, {}), { serverUs: null, etcdUs: null, clientUs: null, totalUs: null, coresBusy: null });
  assert.equal(pctOfCore(1000, 0), null);
  assert.equal(pctOfCore(NaN, 100), null);
  assert.equal(cpuBoundRate(2, null), null);
  assert.equal(cpuBoundRate(2, 0), null);
});

test('% of a core: CPU microseconds over wall milliseconds', () => {
  assert.equal(pctOfCore(2_000_000, 4000), 50);
  assert.equal(pctOfCore(6_000_000, 4000), 150);
});

test('the rate 2 cores carry at a CPU cost per operation', () => {
  assert.equal(cpuBoundRate(2, 80), 25_000);
  assert.equal(cpuBoundRate(2, 800), 2500);
});

test('budget: 0.5 of 16,000 puts/s is 8,000 creates/s, 250 µs a create on 2 cores; etcd and the client paid, the server gets the rest', () => {
  assert.deepEqual(serverBudget({ rawPutsPerSec: 16_000, goalRatio: 0.5, cores: 2, etcdUsPerCreate: 100, clientUsPerCreate: 60, serverUsPerCreate: 450 }), {
    goalRatio: 0.5,
    cores: 2,
    createsPerSecNeeded: 8000,
    totalUsPerCreate: 250,
    serverUsPerCreate: 90,
    serverUsPerCreateClientElsewhere: 150,
    serverCutFactor: 5,
  });
});

test('a budget etcd and the client use up has no cut factor: no server reaches the goal there', () => {
  const b = serverBudget({ rawPutsPerSec: 16_000, goalRatio: 0.5, cores: 2, etcdUsPerCreate: 204, clientUsPerCreate: 54, serverUsPerCreate: 129 });
  assert.equal(b.serverUsPerCreate, -8);
  assert.equal(b.serverCutFactor, null);
  assert.equal(serverBudget({ rawPutsPerSec: 1000, goalRatio: 0.5, cores: 2, etcdUsPerCreate: 0, clientUsPerCreate: 0, serverUsPerCreate: null }).serverCutFactor, null);
});

test('a meter reports between its first and last marks, null before two', () => {
  let cpu = 0;
  const m = new CpuMeter(() => cpu);
  assert.equal(m.pctOfCore(), null);
  m.mark();
  assert.equal(m.pctOfCore(), null);
  cpu = 1e9; // far more than any wall time between the marks: > 100% of a core
  m.mark();
  assert.ok((m.pctOfCore() ?? 0) > 100);
});

test('process CPU from /proc: this process, in whole 10 ms ticks, growing with work', () => {
  const before = processCpuMicros(process.pid);
  assert.equal(before % 10_000, 0);
  const until = process.cpuUsage().user + 50_000;
  while (process.cpuUsage().user < until);
  assert.ok(processCpuMicros(process.pid) > before);
});
