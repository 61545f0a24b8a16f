import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError } from '../storage/types.ts';
import { statusFromError, statusJson } from './status.ts';

test("a store's FutureRevision is upstream's 504: 'Timeout: ' message, ResourceVersionTooLarge cause, Retry-After 1", () => {
  const err = new StorageError('FutureRevision', 'revision 12 is newer than the current revision 7', { revision: 7, requestedRevision: 12 });
  // Byte for byte what kube-apiserver answers (storage.NewTooLargeResourceVersionError through errors.NewTimeoutError).
  assert.equal(
    statusJson(statusFromError(err)),
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: Too large resource version: 12, current: 7",' +
      '"reason":"Timeout","details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1},"code":504}\n',
  );
});

test('a FutureRevision that does not name both revisions is an internal error, not a made-up number', () => {
  const s = statusFromError(new StorageError('FutureRevision', 'somewhere ahead', { revision: 7 }));
  assert.equal(s.code, 500);
  assert.equal(s.reason, 'InternalError');
});
