import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeObjects } from './merge.ts';
import { rootRef } from './shape.ts';
import { DEPLOYMENT, fixtureSchema } from './fixture-schema.ts';

const ref = rootRef(fixtureSchema, DEPLOYMENT);
const withFinalizers = (f: string[]) => ({ metadata: { finalizers: f } });

// Item order after merging a set: live-only items keep their place, applied items follow the
// applied order.
const cases: Array<[string[], string[], string[]]> = [
  [['a', 'b'], ['c'], ['a', 'b', 'c']],
  [['a', 'b', 'c'], ['c', 'a'], ['b', 'c', 'a']],
  [['a', 'b'], ['b', 'a'], ['b', 'a']],
  [['a', 'b'], ['c', 'a'], ['c', 'a', 'b']],
  [[], ['x'], ['x']],
  [['x', 'x'], ['x'], ['x']],
];

for (const [live, applied, want] of cases) {
  test(`set merge ${JSON.stringify(live)} + ${JSON.stringify(applied)}`, () => {
    const out = mergeObjects(fixtureSchema, ref, withFinalizers(live), withFinalizers(applied)) as { metadata: { finalizers: string[] } };
    assert.deepEqual(out.metadata.finalizers, want);
  });
}

test('maps merge, leaves and atomic values take the applied value', () => {
  const live = { metadata: { labels: { a: '1', b: '2' } }, spec: { replicas: 1, selector: { matchLabels: { x: '1', y: '2' } } } };
  const applied = { metadata: { labels: { b: '3' } }, spec: { replicas: 2, selector: { matchLabels: { z: '1' } } } };
  assert.deepEqual(mergeObjects(fixtureSchema, ref, live, applied), {
    metadata: { labels: { a: '1', b: '3' } },
    spec: { replicas: 2, selector: { matchLabels: { z: '1' } } },
  });
});
