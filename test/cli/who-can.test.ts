import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnUp } from '../helpers/spawn-up.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('portcullis who-can lists subjects with the binding and role that allow them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-whocan-'));
  let srv: Awaited<ReturnType<typeof spawnUp>> | undefined;
  try {
    srv = await spawnUp(dir);
    const c = srv.client;
    assert.equal((await c.post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] })).status, 201);
    assert.equal((await c.post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'read-pods' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }] })).status, 201);
    const r = await run(['who-can', 'list', 'pods', '-n', 'default', '--data-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /system:masters/);
    assert.match(r.stdout, /^jane\s+User\s+<none>\s+RoleBinding\/default\/read-pods\s+Role\/pod-reader$/m);
    const none = await run(['who-can', 'delete', 'pods', '-n', 'default', '--data-dir', dir]);
    assert.doesNotMatch(none.stdout, /jane/);
  } finally {
    srv?.client.close();
    srv?.child.kill('SIGTERM');
    await srv?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
