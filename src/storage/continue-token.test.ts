import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { StorageError } from './types.ts';

const b64 = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

test('a token resumes just after the last key, at the same revision', () => {
  const token = encodeContinue('/registry/pods/', 42, '/registry/pods/ns/a');
  assert.match(token, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(JSON.parse(Buffer.from(token, 'base64url').toString()), { v: 'meta.k8s.io/v1', rv: 42, start: 'ns/a\u0000' });
  assert.deepEqual(decodeContinue(token, '/registry/pods/'), { revision: 42, start: '/registry/pods/ns/a\u0000' });
});

test('the start key is relative, so a token cannot leave the prefix it is used with', () => {
  const forged = b64({ v: 'meta.k8s.io/v1', rv: 7, start: '../../secrets/x' });
  const pos = decodeContinue(forged, '/registry/pods/');
  assert.ok(pos.start.startsWith('/registry/pods/'));
});

test('malformed tokens are InvalidContinue', () => {
  const tokens = [
    '',
    'has space',
    'a.b',
    b64('not json'),
    b64('null'),
    b64('[]'),
    b64({}),
    b64({ v: 'v2', rv: 1, start: '' }),
    b64({ v: 'meta.k8s.io/v1', rv: 0, start: '' }),
    b64({ v: 'meta.k8s.io/v1', rv: 1.5, start: '' }),
    b64({ v: 'meta.k8s.io/v1', rv: '1', start: '' }),
    b64({ v: 'meta.k8s.io/v1', rv: 1 }),
  ];
  for (const t of tokens) {
    assert.throws(
      () => decodeContinue(t, '/p/'),
      (e: unknown) => e instanceof StorageError && e.code === 'InvalidContinue',
      JSON.stringify(t),
    );
  }
});
