import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWrite } from './write-check.ts';
import type { WriteKind } from './write-check.ts';

test('write preconditions', () => {
  const live = { revision: 5 };
  const cases: Array<[WriteKind, { revision: number } | undefined, number | undefined, string | undefined]> = [
    ['create', undefined, undefined, undefined],
    ['create', live, undefined, 'KeyExists'],
    ['update', live, 5, undefined],
    ['update', live, 4, 'Conflict'],
    ['update', undefined, 5, 'NotFound'],
    ['delete', live, undefined, undefined],
    ['delete', live, 5, undefined],
    ['delete', live, 6, 'Conflict'],
    ['delete', undefined, undefined, 'NotFound'],
  ];
  for (const [kind, current, expected, want] of cases) {
    assert.equal(checkWrite(kind, '/k', current, expected)?.code, want, `${kind} ${JSON.stringify(current)} ${expected}`);
  }
});

test('a value over 1.5 MiB (key included, in UTF-8 bytes) is refused with etcd\'s words', async () => {
  const { checkValueSize, MAX_OBJECT_BYTES, REQUEST_TOO_LARGE, RequestTooLargeError } = await import('./write-check.ts');
  const key = '/registry/core/configmaps/default/x';
  const fits = 'a'.repeat(MAX_OBJECT_BYTES - key.length);
  assert.equal(checkValueSize(key, fits), undefined);
  const over = checkValueSize(key, fits + 'a');
  assert.ok(over instanceof RequestTooLargeError);
  assert.equal(over.message, REQUEST_TOO_LARGE);
  assert.equal(over.key, key);
  // Multi-byte characters count by their UTF-8 size.
  const wide = 'é'.repeat(Math.ceil(MAX_OBJECT_BYTES / 2));
  assert.ok(checkValueSize(key, wide) instanceof RequestTooLargeError);
  assert.equal(checkValueSize(key, 'é'.repeat(1000)), undefined);
});
