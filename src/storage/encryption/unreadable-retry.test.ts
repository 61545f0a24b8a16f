import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnreadableRetry } from './unreadable-retry.ts';

test('unreadable values are retried (backing off) until they all read, then the watches relist once', async () => {
  let readableNow = false;
  let relists = 0;
  const tried: string[] = [];
  const r = new UnreadableRetry({
    readable: async (key) => {
      tried.push(key);
      return readableNow;
    },
    relist: () => relists++,
    retryMs: 1,
  });
  r.note('/a', 'x');
  r.note('/b', 'y');
  while (tried.length < 4) await new Promise((res) => setTimeout(res, 2));
  assert.equal(relists, 0, 'nothing relists while a value still fails');
  assert.ok(tried.every((k) => k === '/a'), 'a try stops at the first value that still fails');
  readableNow = true;
  while (relists === 0) await new Promise((res) => setTimeout(res, 2));
  const after = tried.length;
  await new Promise((res) => setTimeout(res, 20));
  assert.equal(relists, 1);
  assert.equal(tried.length, after, 'no retries once everything read');
  r.close();
});

test('a check that throws counts as unreadable: the retries go on and relist once it reads', async () => {
  let calls = 0;
  let relists = 0;
  const r = new UnreadableRetry({
    readable: async () => {
      if (++calls <= 2) throw new Error('plugin socket gone');
      return true;
    },
    relist: () => relists++,
    retryMs: 1,
  });
  r.note('/a', 'x');
  for (let i = 0; i < 500 && relists === 0; i++) await new Promise((res) => setTimeout(res, 2));
  assert.equal(relists, 1);
  assert.equal(calls, 3);
  r.close();
});
