import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { builtinResources } from '../registry/builtin.ts';
import { CUSTOM_RESOURCE_ROOT, customResourcePrefix } from '../registry/resource-def.ts';
import { legacyCustomResourcePrefix, mayMigrate, migrateLegacyCustomResources } from './legacy-storage-migration.ts';

const widget = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...extra } });
const NEW = customResourcePrefix('example.com', 'widgets');
const OLD = legacyCustomResourcePrefix('example.com', 'widgets');

test('moves every legacy object to the new key with its value, deletionTimestamp and finalizers included, and empties the legacy prefix', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  const dying = widget('dying', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['example.com/hold'] });
  await store.create(`${OLD}ns/a`, widget('a'));
  await store.create(`${OLD}ns/dying`, dying);
  await store.create(`${OLD}other/b`, widget('b'));
  // A neighbour with a longer plural sharing the prefix text is not ours.
  await store.create('/registry/example.com/widgetsx/ns/z', widget('z'));

  const r = await migrateLegacyCustomResources(store, 'example.com', 'widgets', []);
  assert.deepEqual(r, { migrated: 3, superseded: 0 });
  assert.deepEqual((await store.list(OLD)).items, []);
  assert.deepEqual((await store.list(NEW)).items.map((i) => i.key).sort(), [`${NEW}ns/a`, `${NEW}ns/dying`, `${NEW}other/b`]);
  assert.deepEqual((await store.get(`${NEW}ns/dying`))?.value, dying);
  assert.ok(await store.get('/registry/example.com/widgetsx/ns/z'));

  // Idempotent: a second run finds nothing to do.
  assert.deepEqual(await migrateLegacyCustomResources(store, 'example.com', 'widgets', []), { migrated: 0, superseded: 0 });
});

test('after a crash between create and delete, the new key wins and the legacy one is dropped', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  await store.create(`${OLD}ns/a`, widget('a', { labels: { v: 'old' } }));
  await store.create(`${NEW}ns/a`, widget('a', { labels: { v: 'new' } }));
  const r = await migrateLegacyCustomResources(store, 'example.com', 'widgets', []);
  assert.deepEqual(r, { migrated: 0, superseded: 1 });
  assert.equal((await store.get<any>(`${NEW}ns/a`))?.value.metadata.labels.v, 'new');
  assert.equal(await store.get(`${OLD}ns/a`), undefined);
});

test("never touches a built-in's keys: a group/plural naming a built-in, or sharing its storage prefix, is refused", async () => {
  const store = openSqliteStore({ path: ':memory:' });
  const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'keep', uid: 'u' } };
  await store.create('/registry/rbac.authorization.k8s.io/clusterrolebindings/keep', crb);
  await store.create('/registry/core/events/ns/e', { metadata: { name: 'e', namespace: 'ns' } });
  assert.deepEqual(await migrateLegacyCustomResources(store, 'rbac.authorization.k8s.io', 'clusterrolebindings', []), { migrated: 0, superseded: 0 });
  assert.deepEqual((await store.get('/registry/rbac.authorization.k8s.io/clusterrolebindings/keep'))?.value, crb);
  assert.deepEqual((await store.list(CUSTOM_RESOURCE_ROOT)).items, []);

  assert.equal(mayMigrate('rbac.authorization.k8s.io', 'clusterrolebindings', []), false);
  // events.k8s.io Events are stored as core Events: neither name may be claimed.
  assert.equal(mayMigrate('events.k8s.io', 'events', []), false);
  // A served built-in outside the table counts too.
  assert.equal(mayMigrate('example.com', 'widgets', [{ group: 'example.com', resource: 'gizmos', storageGroup: 'example.com' }]), true);
  assert.equal(mayMigrate('example.com', 'widgets', [{ group: 'other.io', resource: 'widgets', storageGroup: 'example.com' }]), false);
  // Not a CRD group or plural: a path segment with '/', empty, or the custom resources' root.
  for (const [g, p] of [['a/b.com', 'x'], ['example.com', 'a/b'], ['', 'x'], ['_customresources', 'x']] as const) assert.equal(mayMigrate(g, p, []), false, `${g} ${p}`);
  for (const d of builtinResources()) assert.equal(mayMigrate(d.storageGroup ?? (d.group || 'core'), d.resource, []), false, `${d.group}/${d.resource}`);
});
