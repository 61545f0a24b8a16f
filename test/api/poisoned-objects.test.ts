import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

/**
 * Objects an older server (or a direct write) left in the store that no request could create
 * today: managedFields nested 2,000 deep, and values that are not objects at all. Every write to
 * the first must still work (its managedFields are reset, as upstream resets undecodable ones),
 * and neither may stop a controller from working on everything else (finding 3 and 13).
 */
const c = clusterPerFile();

const deepFieldsV1 = (n: number) => {
  const root: Record<string, unknown> = {};
  let o = root;
  for (let i = 0; i < n; i++) o = (o['f:x'] = {}) as Record<string, unknown>;
  return root;
};

/** Writes a ConfigMap with 2,000-deep managedFields straight into the store, as an old buggy server would have. */
async function poison(ns: string, name: string, extra: Record<string, unknown> = {}) {
  await c.cp.store.create(`/registry/core/configmaps/${ns}/${name}`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${ns}-${name}`,
      creationTimestamp: '2024-01-01T00:00:00Z',
      managedFields: [{ manager: 'evil', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: deepFieldsV1(2000) }],
      ...extra,
    },
    data: { a: '1' },
  });
}

async function waitFor(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const shallow = (mf: unknown) => JSON.stringify(mf ?? []).length < 10_000;

const CM = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
const writes: Array<[string, (name: string) => Promise<{ status: number; text: string; body: any }>]> = [
  ['update with the object as read', async (n) => {
    const got = await c.admin.get(`${CM('default')}/${n}`);
    return c.admin.req('PUT', `${CM('default')}/${n}`, { body: { ...got.body, data: { a: '2' } } });
  }],
  ['merge patch', (n) => c.admin.req('PATCH', `${CM('default')}/${n}`, { body: '{"data":{"a":"3"}}', contentType: 'application/merge-patch+json' })],
  ['strategic merge patch', (n) => c.admin.req('PATCH', `${CM('default')}/${n}`, { body: '{"data":{"a":"3"}}', contentType: 'application/strategic-merge-patch+json' })],
  ['JSON patch', (n) => c.admin.req('PATCH', `${CM('default')}/${n}`, { body: '[{"op":"replace","path":"/data/a","value":"4"}]', contentType: 'application/json-patch+json' })],
  ['server-side apply', (n) => c.admin.req('PATCH', `${CM('default')}/${n}?fieldManager=admin&force=true`, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n }, data: { a: '5' } }), contentType: 'application/apply-patch+yaml' })],
];

for (const [what, write] of writes) {
  test(`an object stored with 2,000-deep managedFields: ${what} succeeds and resets them`, async () => {
    const name = `deep-${what.replace(/[^a-z]+/g, '-')}`;
    await poison('default', name);
    const r = await write(name);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.ok(shallow(r.body.metadata.managedFields), 'the undecodable managedFields are gone');
    const stored = await c.cp.store.get<any>(`/registry/core/configmaps/default/${name}`);
    assert.ok(shallow(stored!.value.metadata.managedFields));
  });
}

test('an object stored with 2,000-deep managedFields can be deleted, also when it has finalizers', async () => {
  await poison('default', 'deep-delete');
  const r = await c.admin.req('DELETE', `${CM('default')}/deep-delete`);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  await poison('default', 'deep-final', { finalizers: ['example.com/keep'] });
  const d = await c.admin.req('DELETE', `${CM('default')}/deep-final`);
  assert.equal(d.status, 200, d.text.slice(0, 300));
  assert.ok(d.body.metadata.deletionTimestamp);
  const p = await c.admin.req('PATCH', `${CM('default')}/deep-final`, { body: '{"metadata":{"finalizers":null}}', contentType: 'application/merge-patch+json' });
  assert.equal(p.status, 200, p.text.slice(0, 300));
  assert.equal(await c.cp.store.get('/registry/core/configmaps/default/deep-final'), undefined);
});

test('namespace deletion: a poisoned namespace and one deleted after it both finish; an undecodable value holds up only its own namespace', async () => {
  for (const ns of ['poisoned', 'garbage', 'healthy']) {
    const r = await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    assert.equal(r.status, 201, r.text);
  }
  await poison('poisoned', 'cm');
  await c.cp.store.create('/registry/core/configmaps/garbage/cm', 'not an object');
  assert.equal((await c.admin.post(CM('healthy'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } })).status, 201);

  for (const ns of ['poisoned', 'garbage', 'healthy']) assert.equal((await c.admin.req('DELETE', `/api/v1/namespaces/${ns}`)).status, 200);
  const gone = (ns: string) => async () => (await c.admin.get(`/api/v1/namespaces/${ns}`)).status === 404;
  await waitFor('the poisoned namespace to go', gone('poisoned'));
  await waitFor('the namespace deleted after it to go', gone('healthy'));
  // The value no decoder can read stays, and so does its namespace (upstream too cannot delete
  // what it cannot decode); everything else in it was deleted.
  assert.equal((await c.admin.get('/api/v1/namespaces/garbage')).body.status.phase, 'Terminating');
  assert.equal((await c.cp.store.get('/registry/core/configmaps/garbage/cm'))?.value, 'not an object');
  await c.cp.store.delete('/registry/core/configmaps/garbage/cm');
  await waitFor('the namespace to go once the value is removed', gone('garbage'));
});

test('garbage collector: an undecodable value under a key it watches does not stop it', async () => {
  // The collector is an API client: a resource whose list fails (500 for an undecodable value,
  // as upstream answers for a corrupt object) cannot be watched, but collection of every other
  // resource goes on.
  await c.cp.store.create('/registry/core/configmaps/default/garbage', 'not an object');
  await c.cp.store.create('/registry/core/configmaps/default/garbage-meta', { metadata: 'nope', kind: 'ConfigMap' });
  const SECRETS = '/api/v1/namespaces/default/secrets';
  const owner = await c.admin.post(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'owner' } });
  assert.equal(owner.status, 201);
  const dep = await c.admin.post(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'owner', uid: owner.body.metadata.uid }] } });
  assert.equal(dep.status, 201, dep.text);
  assert.equal((await c.admin.req('DELETE', `${SECRETS}/owner`)).status, 200);
  await waitFor('the dependent to be collected', async () => (await c.admin.get(`${SECRETS}/dependent`)).status === 404);
});
