import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { MAX_JSON_PATCH_OPERATIONS, MAX_RESULT_DEPTH, applyJsonPatch } from './json-patch.ts';
import type { JsonValue } from './json-value.ts';

const doc = { metadata: { name: 'p', labels: { app: 'web', 'a/b': 'x', 'c~d': 'y' } }, spec: { list: [1, 2, 3] } };

const ok: { name: string; patch: JsonValue; want: JsonValue }[] = [
  {
    name: 'add a new key',
    patch: [{ op: 'add', path: '/metadata/labels/tier', value: 'db' }],
    want: { ...doc, metadata: { ...doc.metadata, labels: { ...doc.metadata.labels, tier: 'db' } } },
  },
  {
    name: 'add replaces an existing key',
    patch: [{ op: 'add', path: '/metadata/name', value: 'q' }],
    want: { ...doc, metadata: { ...doc.metadata, name: 'q' } },
  },
  { name: 'add inserts into an array', patch: [{ op: 'add', path: '/spec/list/1', value: 9 }], want: { ...doc, spec: { list: [1, 9, 2, 3] } } },
  { name: 'add "-" appends', patch: [{ op: 'add', path: '/spec/list/-', value: 4 }], want: { ...doc, spec: { list: [1, 2, 3, 4] } } },
  { name: 'add at the array length appends', patch: [{ op: 'add', path: '/spec/list/3', value: 4 }], want: { ...doc, spec: { list: [1, 2, 3, 4] } } },
  { name: 'remove an array element', patch: [{ op: 'remove', path: '/spec/list/0' }], want: { ...doc, spec: { list: [2, 3] } } },
  {
    name: '~1 and ~0 escapes',
    patch: [
      { op: 'remove', path: '/metadata/labels/a~1b' },
      { op: 'replace', path: '/metadata/labels/c~0d', value: 'z' },
    ],
    want: { ...doc, metadata: { ...doc.metadata, labels: { app: 'web', 'c~d': 'z' } } },
  },
  { name: 'replace', patch: [{ op: 'replace', path: '/spec/list/2', value: 30 }], want: { ...doc, spec: { list: [1, 2, 30] } } },
  {
    name: 'move',
    patch: [{ op: 'move', from: '/metadata/labels/app', path: '/metadata/app' }],
    want: { ...doc, metadata: { name: 'p', labels: { 'a/b': 'x', 'c~d': 'y' }, app: 'web' } },
  },
  {
    name: 'copy (deep, later changes do not alias)',
    patch: [
      { op: 'copy', from: '/spec/list', path: '/spec/copy' },
      { op: 'add', path: '/spec/copy/-', value: 4 },
    ],
    want: { ...doc, spec: { list: [1, 2, 3], copy: [1, 2, 3, 4] } },
  },
  {
    name: 'a passing test, then a change',
    patch: [
      { op: 'test', path: '/spec/list', value: [1, 2, 3] },
      { op: 'test', path: '/metadata/labels', value: { 'c~d': 'y', app: 'web', 'a/b': 'x' } },
      { op: 'remove', path: '/spec' },
    ],
    want: { metadata: doc.metadata },
  },
  { name: 'an empty patch changes nothing', patch: [], want: doc },
  { name: 'null decodes as an empty patch (as in Go)', patch: null, want: doc },
];

describe('applyJsonPatch', () => {
  for (const c of ok) {
    test(c.name, () => assert.deepEqual(applyJsonPatch(doc, c.patch), c.want));
  }

  test('does not mutate the original', () => {
    const before = structuredClone(doc);
    applyJsonPatch(doc, [{ op: 'remove', path: '/spec/list/0' }, { op: 'add', path: '/metadata/labels/x', value: '1' }]);
    assert.deepEqual(doc, before);
  });
});

const unprocessable: { name: string; patch: JsonValue }[] = [
  { name: 'a failing test', patch: [{ op: 'test', path: '/metadata/name', value: 'other' }] },
  { name: 'a test of a missing path', patch: [{ op: 'test', path: '/metadata/nope', value: null }] },
  { name: 'remove of a missing key', patch: [{ op: 'remove', path: '/metadata/nope' }] },
  { name: 'replace of a missing key', patch: [{ op: 'replace', path: '/metadata/nope', value: 1 }] },
  { name: 'add under a missing parent', patch: [{ op: 'add', path: '/nope/deeper', value: 1 }] },
  { name: 'add past the end of an array', patch: [{ op: 'add', path: '/spec/list/5', value: 1 }] },
  { name: 'a non-numeric array index', patch: [{ op: 'replace', path: '/spec/list/x', value: 1 }] },
  { name: 'an index with a leading zero', patch: [{ op: 'remove', path: '/spec/list/01' }] },
  { name: 'an unknown op', patch: [{ op: 'frobnicate', path: '/metadata' }] },
  { name: 'an op without "op"', patch: [{ path: '/metadata' }] },
  { name: 'a null op', patch: [null] },
  { name: 'a path that is not a pointer', patch: [{ op: 'remove', path: 'metadata' }] },
  { name: 'a bad escape', patch: [{ op: 'remove', path: '/metadata/a~2' }] },
  { name: 'the root as target', patch: [{ op: 'replace', path: '', value: {} }] },
  { name: 'add without value', patch: [{ op: 'add', path: '/metadata/x' }] },
  { name: 'move into its own child', patch: [{ op: 'move', from: '/metadata', path: '/metadata/labels/m' }] },
  { name: 'copy from a missing path', patch: [{ op: 'copy', from: '/nope', path: '/x' }] },
  { name: 'a later op fails after earlier ones succeed', patch: [{ op: 'add', path: '/x', value: 1 }, { op: 'test', path: '/x', value: 2 }] },
];

describe('applyJsonPatch errors', () => {
  for (const c of unprocessable) {
    test(`${c.name} → 422 with upstream's generic message`, () => {
      assert.throws(
        () => applyJsonPatch(doc, c.patch),
        (err) => {
          assert.ok(err instanceof ApiError);
          assert.deepEqual(
            [err.code, err.reason, err.message],
            [422, 'Invalid', 'the server rejected our request due to an error in our request'],
          );
          assert.equal(typeof err.cause, 'string');
          return true;
        },
      );
    });
  }

  const malformed: { name: string; patch: JsonValue; message: string }[] = [
    { name: 'an object', patch: { op: 'add' }, message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' },
    { name: 'a string', patch: 'x', message: 'json: cannot unmarshal string into Go value of type jsonpatch.Patch' },
    { name: 'a list of numbers', patch: [1], message: 'json: cannot unmarshal number into Go value of type jsonpatch.Operation' },
  ];
  for (const c of malformed) {
    test(`a patch that is ${c.name} → 400`, () => {
      assert.throws(
        () => applyJsonPatch(doc, c.patch),
        (err) => err instanceof ApiError && err.code === 400 && err.reason === 'BadRequest' && err.message === c.message,
      );
    });
  }

  test(`more than ${MAX_JSON_PATCH_OPERATIONS} operations → 413`, () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/metadata/name', value: 'p' }));
    assert.throws(
      () => applyJsonPatch(doc, ops),
      (err) =>
        err instanceof ApiError &&
        err.code === 413 &&
        err.reason === 'RequestEntityTooLarge' &&
        err.message === 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    );
  });

  test(`a result nested deeper than ${MAX_RESULT_DEPTH} levels → 422`, () => {
    let deep: JsonValue = {};
    for (let i = 0; i < MAX_RESULT_DEPTH; i++) deep = { a: deep };
    assert.throws(
      () => applyJsonPatch(doc, [{ op: 'add', path: '/x', value: deep }]),
      (err) => err instanceof ApiError && err.code === 422 && /nested deeper/.test(String(err.cause)),
    );
  });

  test(`exactly ${MAX_JSON_PATCH_OPERATIONS} operations are allowed`, () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS }, () => ({ op: 'test', path: '/metadata/name', value: 'p' }));
    assert.deepEqual(applyJsonPatch(doc, ops), doc);
  });
});
