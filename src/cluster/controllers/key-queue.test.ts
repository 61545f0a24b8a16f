import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKeyQueue } from './key-queue.ts';

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

test('a key whose sync throws is logged by key and retried with growing, capped delays; the other keys go on', async () => {
  const synced: string[] = [];
  const logged: Array<{ key: string; failures: number; retryInMs: number }> = [];
  let clock = 0;
  const q = createKeyQueue(
    'test',
    async (key) => {
      synced.push(key);
      if (key === 'bad') throw new Error('cannot decode');
    },
    { error: (o) => logged.push(o as { key: string; failures: number; retryInMs: number }) },
    // Every reading of the injected clock finds 10 ms gone: each wait is over by the next look.
    { baseMs: 1, maxMs: 8, now: () => (clock += 10) },
  );
  try {
    q.add('bad');
    q.add('good');
    await until(() => logged.length >= 6, 'six failures');
    assert.ok(synced.includes('good'), 'the healthy key was synced');
    assert.equal(synced.filter((k) => k === 'good').length, 1, 'a successful key is not retried');
    assert.deepEqual(logged.slice(0, 6).map((l) => [l.key, l.failures, l.retryInMs]), [
      ['bad', 1, 1],
      ['bad', 2, 2],
      ['bad', 3, 4],
      ['bad', 4, 8],
      ['bad', 5, 8],
      ['bad', 6, 8],
    ]);
    assert.ok(q.failures('bad') >= 6);
    q.forget('bad');
    assert.equal(q.failures('bad'), 0);
  } finally {
    q.stop();
  }
});

test("'requeue' looks at the key again without counting a failure", async () => {
  let runs = 0;
  const q = createKeyQueue('test', async () => (++runs < 3 ? 'requeue' : undefined), { error: () => assert.fail('no failure expected') }, { baseMs: 1 });
  try {
    q.add('k');
    await until(() => runs === 3, 'three runs');
    assert.equal(q.failures('k'), 0);
  } finally {
    q.stop();
  }
});
