import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newQueueController } from './queue-controller.ts';
import { RateLimitedQueue } from '../client/work-queue.ts';
import { ApiStatusError } from '../client/errors.ts';

test('a sync that lost a write race (Conflict) is retried and logged as info; other failures as errors', async () => {
  const queue = new RateLimitedQueue({ name: 't' });
  const logged: Array<[string, string]> = [];
  const attempts = new Map<string, number>();
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const failures: Record<string, Error> = {
    'ns/raced': new ApiStatusError(409, 'Conflict', 'Operation cannot be fulfilled on deployments.apps "raced": the object has been modified; please apply your changes to the latest version and try again'),
    'ns/broken': new ApiStatusError(403, 'Forbidden', 'forbidden'),
  };
  const c = newQueueController({
    name: 'test-controller',
    queue,
    waitFor: [],
    async sync(key) {
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (n === 1 && failures[key]) throw failures[key];
      if ([...attempts.values()].reduce((a, b) => a + b, 0) === 4) done();
    },
    log: { error: (_o, msg) => logged.push(['error', String(msg)]), info: (_o, msg) => logged.push(['info', String(msg)]) },
  });
  c.run(1);
  queue.add('ns/raced');
  queue.add('ns/broken');
  await finished;
  await c.stop();
  assert.deepEqual(Object.fromEntries(attempts), { 'ns/raced': 2, 'ns/broken': 2 });
  assert.deepEqual(logged.sort(), [
    ['error', 'test-controller: sync of ns/broken failed; retrying with backoff'],
    ['info', 'test-controller: sync of ns/raced failed; retrying with backoff'],
  ]);
});
