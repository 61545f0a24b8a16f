import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatchDiff } from './json-patch-diff.ts';

test('changed leaves are replaced at their RFC 6901 path; added and removed keys; equal values give nothing', () => {
  const before = { spec: { containers: [{ image: 'a:1' }, { image: 'b:1' }] }, metadata: { 'a/b~c': 1, gone: true } };
  const after = { spec: { containers: [{ image: 'a:1' }, { image: 'b@sha256:00' }] }, metadata: { 'a/b~c': 2, added: 'x' } };
  assert.deepEqual(jsonPatchDiff(before, after), [
    { op: 'replace', path: '/spec/containers/1/image', value: 'b@sha256:00' },
    { op: 'replace', path: '/metadata/a~1b~0c', value: 2 },
    { op: 'remove', path: '/metadata/gone' },
    { op: 'add', path: '/metadata/added', value: 'x' },
  ]);
  assert.deepEqual(jsonPatchDiff(before, structuredClone(before)), []);
});

test('an array whose length changed is replaced whole', () => {
  assert.deepEqual(jsonPatchDiff({ l: [1, 2] }, { l: [1] }), [{ op: 'replace', path: '/l', value: [1] }]);
});
