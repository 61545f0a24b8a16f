import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/** Warning text can come from the client: it must never turn a write that happened into a 500. */
let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

test('an unknown field named outside Latin-1 under fieldValidation=Warn: 201 and the warning as UTF-8 bytes', async () => {
  const r = await c.admin.req('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warned' }, '日本\x7f': 1 } });
  assert.equal(r.status, 201, r.text);
  // Node hands header bytes over as Latin-1 chars; read them back as the UTF-8 they are.
  const warning = Buffer.from(String(r.headers.warning), 'latin1').toString('utf8');
  assert.equal(warning, '299 - "unknown field \\"日本\\u007f\\""');
  assert.equal((await c.admin.get('/api/v1/namespaces/default/configmaps/warned')).status, 200);
});

test('the same warning on a write that then fails (409) keeps its bytes and the Status', async () => {
  const r = await c.admin.req('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warned' }, 'ß': 1 } });
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.reason, 'AlreadyExists');
  assert.equal(Buffer.from(String(r.headers.warning), 'latin1').toString('utf8'), '299 - "unknown field \\"ß\\""');
});
