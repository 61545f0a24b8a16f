import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA } from '../../../pki/ca.ts';
import { issueCert } from '../../../pki/certs.ts';
import { FakeRuntime } from '../runtime/fake.ts';
import { startAgentServer } from '../server/agent-server.ts';
import type { NodeRequestAttributes } from '../server/request-attributes.ts';
import { recordLocalPath, removeLocalPath } from './local-path-records.ts';

const dir = mkdtempSync(join(tmpdir(), 'local-path-records-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('only a directory recorded for the volume, with its uid, is removed; links inside are not followed', async () => {
  const data = join(dir, 'data');
  const vol = join(dir, 'lp', 'pvc-1_default_data');
  const outside = join(dir, 'outside');
  mkdirSync(join(vol, 'nested'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(vol, 'nested', 'f'), 'x');
  writeFileSync(join(outside, 'keep'), 'y');
  symlinkSync(outside, join(vol, 'link'));
  await recordLocalPath(data, 'pvc-1', 'uid-1', vol);
  await recordLocalPath(data, 'pvc-1', 'uid-1', vol); // idempotent
  const unused = () => false;
  assert.deepEqual(await removeLocalPath(data, 'pvc-2', 'uid-1', unused), { unknown: true });
  assert.deepEqual(await removeLocalPath(data, '../pvc-1', 'uid-1', unused), { unknown: true });
  assert.deepEqual(await removeLocalPath(data, 'pvc-1', 'uid-other', unused), { otherUid: 'uid-1' });
  assert.deepEqual(await removeLocalPath(data, 'pvc-1', 'uid-1', (p) => p === vol), { inUse: vol }, 'a pod here still has it');
  assert.ok(existsSync(vol));
  assert.deepEqual(await removeLocalPath(data, 'pvc-1', 'uid-1', unused), { removed: vol });
  assert.ok(!existsSync(vol));
  assert.ok(existsSync(join(outside, 'keep')), 'the link\'s target stays');
  assert.deepEqual(await removeLocalPath(data, 'pvc-1', 'uid-1', unused), { unknown: true }, 'the record went with it');
  await assert.rejects(recordLocalPath(data, '../x', 'u', vol), /invalid PersistentVolume name/);
});

test('DELETE /localPath/<pv>?uid= on the agent server: authorized as nodes/proxy delete; 200, 409 (other uid, in use), 404', async () => {
  const now = new Date();
  const ca = createCA({ commonName: 'cluster-ca', now, validityDays: 1 });
  const serving = issueCert(ca, { commonName: 'system:node:n1', usage: 'server', ipAddresses: ['127.0.0.1'], now, validityDays: 1 });
  const apiserver = issueCert(ca, { commonName: 'kube-apiserver-kubelet-client', usage: 'client', now, validityDays: 1 });
  const data = join(dir, 'server-data');
  const vol = join(dir, 'lp2', 'pvc-9_default_data');
  mkdirSync(vol, { recursive: true });
  await recordLocalPath(data, 'pvc-9', 'uid-9', vol);
  const reviewed: NodeRequestAttributes[] = [];
  let inUse = true;
  const server = await startAgentServer({
    nodeName: 'n1', runtime: new FakeRuntime(), cert: serving, clientCaPem: ca.certPem, dataDir: data, log: { warn() {} }, volumePathInUse: (p) => p === vol && inUse,
    review: async (_user, a) => {
      reviewed.push(a);
      return { allowed: a.subresource === 'proxy' && a.verb === 'delete', reason: '' };
    },
  }, 0, '127.0.0.1');
  const del = (path: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'DELETE', ca: ca.certPem, cert: apiserver.certPem, key: apiserver.keyPem }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject).end();
  });
  try {
    assert.deepEqual(await del('/localPath/pvc-9?uid=nope'), { status: 409, text: 'local-path volume "pvc-9" on this node belongs to uid uid-9, not nope' });
    assert.deepEqual(reviewed.at(-1), { verb: 'delete', resource: 'nodes', subresource: 'proxy', name: 'n1' });
    assert.deepEqual(await del('/localPath/pvc-9?uid=uid-9'), { status: 409, text: 'local-path volume "pvc-9" is still used by a pod on this node' });
    assert.ok(existsSync(vol));
    inUse = false;
    assert.deepEqual(await del('/localPath/pvc-9?uid=uid-9'), { status: 200, text: `removed ${vol}` });
    assert.ok(!existsSync(vol));
    assert.deepEqual(await del('/localPath/pvc-9?uid=uid-9'), { status: 404, text: 'no local-path volume "pvc-9" was made on this node' });
  } finally {
    await server.close();
  }
});
