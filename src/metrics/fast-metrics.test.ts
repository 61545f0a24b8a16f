import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FastCounter, FastGauge, FastHistogram } from './fast-metrics.ts';

test("the fast histogram's text is prom-client's Histogram's, observation for observation", async () => {
  const a = new Registry();
  const b = new Registry();
  const config = { name: 'x_seconds', help: 'X latency.', labelNames: ['verb', 'code'], buckets: [0.005, 0.1, 1] };
  const slow = new Histogram({ ...config, registers: [a] });
  const fast = new FastHistogram({ ...config, registers: [b] });
  for (const [verb, code, v] of [['GET', '200', 0.001], ['GET', '200', 0.1], ['GET', '200', 7], ['POST', '403', 0.05], ['POST', '403', 0.005]] as const) {
    slow.labels(verb, code).observe(v);
    fast.labels({ verb, code }).observe(v);
  }
  assert.equal(await b.metrics(), await a.metrics());
  assert.throws(() => fast.labels('GET'), /label "code" is missing/);
});

test("the fast counter's text is prom-client's Counter's", async () => {
  const a = new Registry();
  const b = new Registry();
  const config = { name: 'y_total', help: 'Y.', labelNames: ['result'] };
  const slow = new Counter({ ...config, registers: [a] });
  const fast = new FastCounter({ ...config, registers: [b] });
  for (const r of ['ok', 'ok', 'error']) {
    slow.labels(r).inc();
    fast.labels(r).inc();
  }
  slow.labels('ok').inc(5);
  fast.labels({ result: 'ok' }).inc(5);
  assert.equal(await b.metrics(), await a.metrics());
});

test("the fast gauge's text is prom-client's Gauge's, and remove() drops a label set as prom-client's does", async () => {
  // As flowcontrol/metrics.ts defines them: prom-client writes a child's labels in the order of
  // the object it was made from, the fast forms in labelNames order.
  const a = new Registry();
  const b = new Registry();
  const labelNames = ['priority_level', 'flow_schema'];
  const slow = { g: new Gauge({ name: 'seats', help: 'S.', labelNames, registers: [a] }), c: new Counter({ name: 'd_total', help: 'D.', labelNames, registers: [a] }), h: new Histogram({ name: 'w_seconds', help: 'W.', labelNames: ['execute', ...labelNames], buckets: [0, 0.005, 1], registers: [a] }) };
  const fast = { g: new FastGauge({ name: 'seats', help: 'S.', labelNames, registers: [b] }), c: new FastCounter({ name: 'd_total', help: 'D.', labelNames, registers: [b] }), h: new FastHistogram({ name: 'w_seconds', help: 'W.', labelNames: [...labelNames, 'execute'], buckets: [0, 0.005, 1], registers: [b] }) };
  for (const m of [slow, fast]) {
    const l = { priority_level: 'node-high', flow_schema: 'system-nodes' };
    const o = { priority_level: 'global-default', flow_schema: 'global-default' };
    const g = m.g.labels(l);
    g.inc();
    g.inc();
    g.dec();
    m.g.labels(o).set(3);
    m.c.labels(l).inc();
    m.c.labels(o).inc(2);
    m.h.labels({ ...l, execute: 'true' }).observe(0);
    m.h.labels({ ...o, execute: 'true' }).observe(0.5);
    m.g.remove(o);
    m.c.remove(o);
    m.h.remove({ ...o, execute: 'true' });
  }
  assert.equal(await b.metrics(), await a.metrics());
});
