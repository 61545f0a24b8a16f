import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescedTask } from './coalesced-task.ts';

test('requests made while a run is pending or running coalesce into one more run; runs never overlap', async () => {
  let runs = 0;
  let inFlight = 0;
  let release!: () => void;
  const t = new CoalescedTask(async () => {
    runs++;
    inFlight++;
    assert.equal(inFlight, 1, 'never two at once');
    if (runs === 1) await new Promise<void>((r) => (release = r));
    inFlight--;
  }, { retryMs: 10, onError: () => assert.fail('no error') });
  t.schedule();
  while (runs === 0) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 5; i++) t.schedule();
  release();
  await t.idle();
  assert.equal(runs, 2);
});

test('a failed run is reported and retried; stop ends the retries', async () => {
  let runs = 0;
  const errors: unknown[] = [];
  const t = new CoalescedTask(async () => {
    runs++;
    if (runs < 3) throw new Error(`fail ${runs}`);
  }, { retryMs: 5, onError: (e) => errors.push(e) });
  t.schedule();
  while (runs < 3) await new Promise((r) => setTimeout(r, 5));
  await t.idle();
  assert.equal(errors.length, 2);
  t.stop();
  t.schedule();
  await t.idle();
  assert.equal(runs, 3, 'nothing runs after stop');
});
