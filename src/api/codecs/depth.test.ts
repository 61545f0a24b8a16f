import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { parseYamlBody } from './decode-body.ts';
import { assertExpandedWithin, exceedsDepth } from './depth.ts';

test('exceedsDepth counts containers, iteratively (no overflow at 100,000 levels)', () => {
  assert.equal(exceedsDepth({ a: [1] }, 2), false);
  assert.equal(exceedsDepth({ a: [[]] }, 2), true);
  let v: unknown = {};
  for (let i = 0; i < 100_000; i++) v = { a: v };
  assert.equal(exceedsDepth(v, 100), true);
});

test('a shared value counts every time it occurs, and a cycle runs into the depth bound', () => {
  const chunk = 'x'.repeat(1000);
  const shared = [chunk, chunk, chunk];
  assert.doesNotThrow(() => assertExpandedWithin({ a: shared }, 4000));
  assert.throws(() => assertExpandedWithin({ a: shared, b: shared }, 4000), (e: unknown) => e instanceof ApiError && e.code === 413);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => assertExpandedWithin(cyclic), (e: unknown) => e instanceof ApiError && e.code === 400);
});

test('YAML: 49 aliases of a large anchor are refused at their expanded size (413), a few small ones pass', () => {
  const anchor = 'x'.repeat(100 * 1024);
  const body = `apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {a: &a "${anchor}"}}\nspec: {containers: [${Array.from({ length: 49 }, () => '{name: *a}').join(', ')}]}\n`;
  assert.throws(() => parseYamlBody(body), (e: unknown) => e instanceof ApiError && e.code === 413 && e.message === 'Request entity too large: limit is 3145728');
  assert.deepEqual(parseYamlBody('a: &a [1, 2]\nb: *a\n'), { a: [1, 2], b: [1, 2] });
});
