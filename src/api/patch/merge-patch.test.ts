import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { JsonValue } from './json-value.ts';
import { applyMergePatch } from './merge-patch.ts';

// RFC 7386 appendix A examples, with an object original where the RFC's is an object.
const cases: { name: string; original: JsonValue; patch: JsonValue; want: JsonValue }[] = [
  { name: 'replace a value', original: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'add a key', original: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
  { name: 'null deletes', original: { a: 'b' }, patch: { a: null }, want: {} },
  { name: 'null deletes one of two', original: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
  { name: 'an array replaces an object value', original: { a: ['b'] }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'arrays replace, never merge', original: { a: [1, 2] }, patch: { a: [3] }, want: { a: [3] } },
  { name: 'nested objects merge', original: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, want: { a: { b: 'd' } } },
  { name: 'null in an array is kept', original: { a: [{ b: 'c' }] }, patch: { a: [1, null] }, want: { a: [1, null] } },
  { name: 'an object replaces a scalar and drops its nulls', original: { e: null, a: 1 }, patch: { a: { bb: { ccc: null } } }, want: { e: null, a: { bb: {} } } },
  { name: 'deleting a missing key is a no-op', original: { a: 1 }, patch: { b: null }, want: { a: 1 } },
  { name: 'an empty patch is a no-op', original: { a: 1 }, patch: {}, want: { a: 1 } },
];

describe('applyMergePatch', () => {
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(applyMergePatch(c.original, c.patch), c.want));
  }

  test('does not mutate the original', () => {
    const original = { a: { b: 1, c: 2 } };
    applyMergePatch(original, { a: { b: null } });
    assert.deepEqual(original, { a: { b: 1, c: 2 } });
  });

  for (const patch of [null, 'x', 3, true] as JsonValue[]) {
    test(`a patch of ${JSON.stringify(patch)} → 400 Invalid JSON Patch`, () => {
      assert.throws(
        () => applyMergePatch({ a: 1 }, patch),
        (err) => err instanceof ApiError && err.code === 400 && err.message === 'Invalid JSON Patch',
      );
    });
  }

  test('an array patch → 422 Invalid on the field "patch"', () => {
    assert.throws(
      () => applyMergePatch({ a: 1 }, [1]),
      (err) =>
        err instanceof ApiError &&
        err.code === 422 &&
        err.reason === 'Invalid' &&
        err.details?.causes?.[0]?.field === 'patch' &&
        err.message.startsWith(' "" is invalid: patch: Invalid value: "[1]"'),
    );
  });
});
