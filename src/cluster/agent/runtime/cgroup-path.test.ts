import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupPlacement, parentCgroup, parseOwnCgroup } from './cgroup-path.ts';

test('own cgroup: the v1 memory hierarchy and the unified one', () => {
  const text = '9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/user.slice/u.scope\n';
  assert.deepEqual(parseOwnCgroup(text), { v1Memory: '/process_api/abc', unified: '/user.slice/u.scope' });
});

test('placement: relative under our cgroup on v1, absolute under the root on v2', async () => {
  const v2 = mkdtempSync(join(tmpdir(), 'cg2-'));
  const v1 = mkdtempSync(join(tmpdir(), 'cg1-'));
  try {
    writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
    assert.deepEqual(await cgroupPlacement('portcullis', 'c1', v2), { cgroupsPath: '/portcullis/c1', memcg: `${v2}/portcullis/c1` });
    const p = await cgroupPlacement('portcullis', 'c1', v1);
    assert.equal(p.cgroupsPath, 'portcullis/c1');
    assert.ok(p.memcg.startsWith(`${v1}/memory/`) && p.memcg.endsWith('/portcullis/c1'), p.memcg);
  } finally {
    rmSync(v2, { recursive: true, force: true });
    rmSync(v1, { recursive: true, force: true });
  }
});

test('the parent cgroup (the "pods" system container): /<parent> on v2, under our cpuacct and memory cgroups on v1', async () => {
  const v2 = mkdtempSync(join(tmpdir(), 'cg2-'));
  const v1 = mkdtempSync(join(tmpdir(), 'cg1-'));
  try {
    writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
    assert.deepEqual(await parentCgroup('portcullis', v2), { unified: '/portcullis' });
    const self = '4:memory:/agent/mem\n2:cpu,cpuacct:/agent/cpu\n0::/\n';
    assert.deepEqual(await parentCgroup('portcullis', v1, self), { cpuacct: '/agent/cpu/portcullis', memory: '/agent/mem/portcullis' });
  } finally {
    rmSync(v2, { recursive: true, force: true });
    rmSync(v1, { recursive: true, force: true });
  }
});
