import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentCgroup, podsCgroupDirs } from './cgroup-path.ts';

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

test('the parent\'s directories to limit: the one on v2, per controller hierarchy on v1', async () => {
  const v2 = mkdtempSync(join(tmpdir(), 'cg2-'));
  const v1 = mkdtempSync(join(tmpdir(), 'cg1-'));
  try {
    writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
    assert.deepEqual(await podsCgroupDirs('portcullis', v2), { unified: `${v2}/portcullis` });
    const self = '8:pids:/\n4:memory:/agent/mem\n2:cpu,cpuacct:/agent/cpu\n0::/\n';
    assert.deepEqual(await podsCgroupDirs('portcullis', v1, self), { memory: `${v1}/memory/agent/mem/portcullis`, cpu: `${v1}/cpu/agent/cpu/portcullis`, pids: `${v1}/pids/portcullis` });
  } finally {
    rmSync(v2, { recursive: true, force: true });
    rmSync(v1, { recursive: true, force: true });
  }
});
