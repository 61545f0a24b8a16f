import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { aggregateRules, sameRules, startClusterRoleAggregation } from './aggregation.ts';
import { labelSelectorMatches } from './label-selector.ts';
import { RBAC_PREFIX, type PolicyRule, type RoleObject } from './types.ts';

const rule = (res: string): PolicyRule => ({ verbs: ['get'], apiGroups: [''], resources: [res] });
const cr = (name: string, labels: Record<string, string>, rules: PolicyRule[], selectors?: Record<string, string>[]): RoleObject => ({
  metadata: { name, labels },
  rules,
  ...(selectors ? { aggregationRule: { clusterRoleSelectors: selectors.map((matchLabels) => ({ matchLabels })) } } : {}),
});

describe('labelSelectorMatches', () => {
  const labels = { a: '1', b: '2' };
  const cases: [string, Parameters<typeof labelSelectorMatches>[0], boolean][] = [
    ['empty matches all', {}, true],
    ['matchLabels', { matchLabels: { a: '1' } }, true],
    ['matchLabels mismatch', { matchLabels: { a: '2' } }, false],
    ['In', { matchExpressions: [{ key: 'b', operator: 'In', values: ['2', '3'] }] }, true],
    ['NotIn', { matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['2'] }] }, false],
    ['Exists', { matchExpressions: [{ key: 'c', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, true],
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['0'] }] }, false],
  ];
  for (const [name, sel, want] of cases) test(name, () => assert.equal(labelSelectorMatches(sel, labels), want));
});

describe('aggregateRules', () => {
  test('union of matching roles by name, each rule once, itself excluded', () => {
    const target = cr('admin', { 'agg-admin': 'true' }, [rule('stale')], [{ 'agg-admin': 'true' }]);
    const all = [
      target,
      cr('z-extra', { 'agg-admin': 'true' }, [rule('pods'), rule('secrets')]),
      cr('a-base', { 'agg-admin': 'true' }, [rule('secrets'), rule('configmaps')]),
      cr('other', {}, [rule('nodes')]),
    ];
    assert.deepEqual(aggregateRules(target, all), [rule('secrets'), rule('configmaps'), rule('pods')]);
  });
  test('several selectors are ORed in their order', () => {
    const target = cr('t', {}, [], [{ x: '1' }, { y: '1' }]);
    assert.deepEqual(aggregateRules(target, [cr('b', { y: '1' }, [rule('b')]), cr('a', { x: '1' }, [rule('a')])]), [rule('a'), rule('b')]);
  });
  test('sameRules treats missing lists as empty', () => {
    assert.equal(sameRules(null, []), true);
    assert.equal(sameRules([{ verbs: ['get'], apiGroups: [''], resources: ['p'], resourceNames: [] }], [rule('p')]), true);
    assert.equal(sameRules([rule('a')], [rule('b')]), false);
  });
});

describe('startClusterRoleAggregation', () => {
  test('fills aggregated roles, chains through aggregated roles, follows changes', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const key = (n: string) => `${RBAC_PREFIX}clusterroles/${n}`;
    await store.create(key('admin'), cr('admin', {}, [], [{ 'to-admin': 'true' }]));
    await store.create(key('edit'), cr('edit', { 'to-admin': 'true' }, [], [{ 'to-edit': 'true' }]));
    await store.create(key('edit-rules'), cr('edit-rules', { 'to-edit': 'true' }, [rule('pods')]));
    const errors: Error[] = [];
    const c = startClusterRoleAggregation(store, { onError: (e) => errors.push(e) });
    const rulesOf = async (n: string) => ((await store.get<RoleObject>(key(n)))!.value.rules ?? []).map((r) => r.resources![0]);
    const settle = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setImmediate(r));
    };
    try {
      await c.ready;
      await settle(async () => (await rulesOf('admin')).length === 1);
      assert.deepEqual(await rulesOf('edit'), ['pods']);
      assert.deepEqual(await rulesOf('admin'), ['pods']);

      await store.create(key('more'), cr('more', { 'to-edit': 'true' }, [rule('secrets')]));
      await settle(async () => (await rulesOf('admin')).length === 2);
      assert.deepEqual(await rulesOf('edit'), ['pods', 'secrets']);
      assert.deepEqual(await rulesOf('admin'), ['pods', 'secrets']);

      await store.delete(key('edit-rules'));
      await settle(async () => (await rulesOf('admin')).length === 1);
      assert.deepEqual(await rulesOf('admin'), ['secrets']);
      assert.deepEqual(errors, []);
    } finally {
      c.stop();
      await store.close();
    }
  });
});
