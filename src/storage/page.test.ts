import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageLimit, takePage } from './page.ts';
import type { StoredObject } from './types.ts';

const objs = (n: number): StoredObject<number>[] =>
  Array.from({ length: n }, (_, i) => ({ key: `/k${i}`, value: i, createRevision: 1, modRevision: 1 }));
const even = (v: unknown) => (v as number) % 2 === 0;

test('takePage', () => {
  const cases: Array<[string, number, number, ((v: unknown) => boolean) | undefined, number[], boolean, string | undefined]> = [
    ['no limit', 5, 0, undefined, [0, 1, 2, 3, 4], false, '/k4'],
    ['limit below size', 5, 2, undefined, [0, 1], true, '/k1'],
    ['limit equal to size', 3, 3, undefined, [0, 1, 2], false, '/k2'],
    ['predicate, no limit', 5, 0, even, [0, 2, 4], false, '/k4'],
    ['predicate with limit', 6, 2, even, [0, 2], true, '/k2'],
    ['predicate: non-matching tail still means more', 4, 2, even, [0, 2], true, '/k2'],
    ['predicate matches nothing', 3, 2, () => false, [], false, '/k2'],
    ['empty', 0, 2, undefined, [], false, undefined],
  ];
  for (const [what, n, limit, pred, want, more, lastKey] of cases) {
    const page = takePage(objs(n), limit, pred);
    assert.deepEqual([page.items.map((o) => o.value), page.more, page.lastKey], [want, more, lastKey], what);
  }
});

test('pageLimit', () => {
  assert.deepEqual([undefined, 0, -3, 2.7, 10].map(pageLimit), [0, 0, 0, 2, 10]);
});
