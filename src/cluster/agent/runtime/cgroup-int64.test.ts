/**
 * Limits past int64 (RV10 Low): the kubelet takes Quantity.Value()/MilliValue() as Go's int64
 * returns them (an int64Amount overflows to 0, an inf.Dec keeps its low 64 bits), so no cgroup
 * value is ever Infinity or NaN, and a 0 limit is no limit, as libcontainer writes none for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import { withTempDir } from '../../../../test/helpers/temp-dir.ts';
import { byteValue, containerResources, milliCpuToQuota, milliCpuToShares, milliValue, oomScoreAdj } from './cgroup-resources.ts';
import { applyCgroupConfig, CgroupLayout, podCgroupConfig } from './pod-cgroups.ts';

const huge = (limits: Record<string, string>): Container => ({ name: 'a', image: 'x', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits } });
const finite = (v: unknown): boolean => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? 'NOT FINITE' : x)).includes('NOT FINITE') === false;

test('a limit of 1e1000 is Go\'s Value 0: no memory limit, no CPU quota, nothing infinite', () => {
  assert.equal(byteValue('1e1000'), 0);
  assert.equal(milliValue('1e1000'), 0);
  const r = containerResources(huge({ cpu: '1e1000', memory: '1e1000' }));
  assert.ok(finite(r), JSON.stringify(r));
  assert.deepEqual(r, { cpu: { shares: 102 } });
  const pod = podCgroupConfig({ containers: [huge({ cpu: '1e1000', memory: '1e1000' })] });
  assert.ok(finite(pod));
  assert.deepEqual(pod, { qos: 'Burstable', cpuRequestMilli: 100, cpuShares: 102, cpuQuota: 0, cpuPeriod: 100_000 });
  assert.equal(oomScoreAdj({ containers: [{ name: 'a', resources: { requests: { memory: '1e1000' } } }] }, { name: 'a', resources: { requests: { memory: '1e1000' } } }, 2 ** 30), 999);
});

test('an inf.Dec limit past int64 keeps its low 64 bits, and int64 products wrap (Go\'s arithmetic)', () => {
  const text = '1' + '0'.repeat(30); // 31 digits: the inf.Dec parse
  const low = BigInt.asIntN(64, 10n ** 30n);
  assert.equal(byteValue(text), Number(low));
  assert.equal(milliValue(text), Number(BigInt.asIntN(64, 10n ** 33n)));
  // MilliCPUToShares / MilliCPUToQuota in int64: a product past it wraps, then the clamp.
  const m = 2 ** 62;
  assert.equal(milliCpuToShares(m), Math.min(Math.max(Number(BigInt.asIntN(64, 2n ** 62n * 1024n) / 1000n), 2), 262144));
  assert.equal(milliCpuToQuota(m), Math.max(Number(BigInt.asIntN(64, 2n ** 62n * 100_000n) / 1000n), 1000));
  assert.ok(Number.isFinite(milliCpuToQuota(Number.MAX_SAFE_INTEGER)));
});

test('a declared CPU limit whose MilliValue is 0 writes "max", as libcontainer (cgroup v2 fake root)', () => withTempDir('cg-int64-', async (root) => {
  writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
  mkdirSync(join(root, 'portcullis'));
  writeFileSync(join(root, 'portcullis/cgroup.controllers'), 'cpu memory pids\n');
  const layout = await CgroupLayout.read('portcullis', root, '0::/agent\n');
  const cfg = podCgroupConfig({ containers: [huge({ cpu: '1e1000', memory: '1e1000' })] });
  await applyCgroupConfig(layout, 'burstable/podu1', cfg);
  assert.equal(readFileSync(join(root, 'portcullis/burstable/podu1/cpu.max'), 'utf8'), 'max 100000');
  assert.throws(() => readFileSync(join(root, 'portcullis/burstable/podu1/memory.max'), 'utf8'), /ENOENT/);
}));
