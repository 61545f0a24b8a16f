import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, settle } from '../client/fake-clock.ts';
import { PodWorkers } from './pod-workers.ts';

const quiet = { warn() {} };

test('one sync at a time per pod; updates during a sync coalesce into one more', async () => {
  const runs: string[] = [];
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  const w = new PodWorkers({ log: quiet, sync: async (uid) => {
    runs.push(uid);
    await gate;
  } });
  w.update('a');
  w.update('a');
  w.update('a');
  w.update('b');
  await settle();
  assert.deepEqual(runs, ['a', 'b'], 'a second sync of a waits for the first');
  gate = Promise.resolve();
  release();
  await w.whenIdle();
  assert.deepEqual(runs, ['a', 'b', 'a'], 'three updates while running made one more sync');
});

test('a failed sync is retried with backoff; updateAfter keeps the earliest; forget drops the pod', async () => {
  const clock = new FakeClock();
  let fail = true;
  const runs: number[] = [];
  const w = new PodWorkers({ log: quiet, timers: clock, now: clock.now, random: () => 0, sync: async () => {
    runs.push(clock.now());
    if (fail) throw new Error('boom');
  } });
  w.update('a');
  await settle();
  assert.equal(runs.length, 1);
  fail = false;
  await clock.advance(999);
  assert.equal(runs.length, 1);
  await clock.advance(1);
  assert.equal(runs.length, 2, 'retried after 1 s');
  w.updateAfter('a', 10_000);
  w.updateAfter('a', 5_000);
  w.updateAfter('a', 20_000);
  await clock.advance(5_000);
  assert.equal(runs.length, 3, 'the earliest resync wins');
  await clock.advance(20_000);
  assert.equal(runs.length, 3, 'the later ones were replaced');
  w.updateAfter('a', 1_000);
  w.forget('a');
  assert.equal(w.size, 0);
  await clock.advance(2_000);
  assert.equal(runs.length, 3, 'a forgotten pod is not synced');
  await w.stop();
});
