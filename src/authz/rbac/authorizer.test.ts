import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { UnionAuthorizer } from '../union.ts';
import { startRbacAuthorizer } from './authorizer.ts';
import { binding, clusterRoleRef, group, resourceAttrs, role, roleRef, user } from './testing.ts';
import { RBAC_PREFIX } from './types.ts';

const CR = `${RBAC_PREFIX}clusterroles/`;
const CRB = `${RBAC_PREFIX}clusterrolebindings/`;
const R = `${RBAC_PREFIX}roles/`;
const RB = `${RBAC_PREFIX}rolebindings/`;
const alice = { username: 'alice', groups: ['system:authenticated'] };
const getPods = resourceAttrs(alice, 'get', '', 'pods', { namespace: 'ns1' });
const listSecrets = resourceAttrs(alice, 'list', '', 'secrets', { namespace: 'ns1' });

describe('startRbacAuthorizer', () => {
  test('lists what exists, then follows every change through the watch', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.create(CR + 'view', role('view', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    await store.create(RB + 'ns1/rb', binding('rb', clusterRoleRef('view'), [user('alice')], 'ns1'));
    const h = startRbacAuthorizer(store);
    try {
      await h.ready;
      assert.equal((await h.authorizer.authorize(getPods)).decision, 'allow');

      // binding deleted → access gone as soon as the delete has committed
      await store.delete(RB + 'ns1/rb');
      assert.equal((await h.authorizer.authorize(getPods)).decision, 'no-opinion');

      // a Role and a RoleBinding to it, created later
      await store.create(R + 'ns1/secrets', role('secrets', [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'] }], 'ns1'));
      const rb = await store.create(RB + 'ns1/s', binding('s', roleRef('secrets'), [group('system:authenticated')], 'ns1'));
      const r = await h.authorizer.authorize(listSecrets);
      assert.equal(r.decision, 'allow');
      assert.equal(r.reason, 'RBAC: allowed by RoleBinding "s/ns1" of Role "secrets" to Group "system:authenticated"');

      // the binding modified to another subject
      await store.update(RB + 'ns1/s', binding('s', roleRef('secrets'), [user('bob')], 'ns1'), rb.modRevision);
      assert.equal((await h.authorizer.authorize(listSecrets)).decision, 'no-opinion');

      // a ClusterRole's rules changed: every binding to it sees the new rules
      await store.create(CRB + 'all', binding('all', clusterRoleRef('view'), [user('alice')]));
      assert.equal((await h.authorizer.authorize(getPods)).decision, 'allow');
      const cur = await store.get(CR + 'view');
      await store.update(CR + 'view', role('view', [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]), cur!.modRevision);
      assert.equal((await h.authorizer.authorize(getPods)).decision, 'no-opinion');
      assert.equal((await h.authorizer.authorize(resourceAttrs(alice, 'get', '', 'configmaps'))).decision, 'allow');
    } finally {
      h.stop();
      await store.close();
    }
  });

  test('in a union, RBAC\'s no-opinion becomes a deny and its allow passes its reason through', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    await store.create(CR + 'view', role('view', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    await store.create(CRB + 'v', binding('v', clusterRoleRef('view'), [user('alice')]));
    const h = startRbacAuthorizer(store);
    try {
      await h.ready;
      const union = new UnionAuthorizer([h.authorizer]);
      const ok = await union.authorize(getPods);
      assert.deepEqual([ok.decision, ok.authorizer, ok.reason], ['allow', 'RBAC', 'RBAC: allowed by ClusterRoleBinding "v" of ClusterRole "view" to User "alice"']);
      assert.equal((await union.authorize(listSecrets)).decision, 'deny');
    } finally {
      h.stop();
      await store.close();
    }
  });

  test('a watch that fails relists and keeps following', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    let fail: ((e: Error) => void) | undefined;
    const flaky = {
      currentRevision: () => store.currentRevision(),
      list: store.list.bind(store),
      watch: ((prefix, from, handlers) => {
        if (prefix.endsWith('/rolebindings/') && !fail) fail = (e) => handlers.onError?.(e);
        return store.watch(prefix, from, handlers);
      }) as typeof store.watch,
    };
    const errors: string[] = [];
    const h = startRbacAuthorizer(flaky, { onError: (e) => errors.push(e.message) });
    try {
      await h.ready;
      await store.create(CR + 'view', role('view', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
      fail!(new Error('watcher fell behind'));
      await store.create(RB + 'ns1/rb', binding('rb', clusterRoleRef('view'), [user('alice')], 'ns1'));
      await new Promise((r) => setImmediate(r));
      assert.equal((await h.authorizer.authorize(getPods)).decision, 'allow');
      assert.deepEqual(errors, ['watcher fell behind']);
    } finally {
      h.stop();
      await store.close();
    }
  });
});
