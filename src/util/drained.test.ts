import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { drained, writeOrThrow } from './drained.ts';

test('the wait ends when a full sink fails or closes instead of draining, and the failure is thrown', async () => {
  let fail: ((err: Error) => void) | undefined;
  const sink = new Writable({ highWaterMark: 4, write: (_c, _e, cb) => (fail = cb) });
  sink.on('error', () => undefined);
  const wrote = writeOrThrow(sink, Buffer.alloc(16));
  await new Promise((r) => setImmediate(r));
  fail!(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
  await assert.rejects(wrote, /no space left/);

  const closed = new Writable({ highWaterMark: 4, write: () => undefined });
  closed.write(Buffer.alloc(16));
  const waiting = drained(closed);
  closed.destroy();
  await waiting;
  await assert.rejects(writeOrThrow(closed, Buffer.alloc(1)), /closed/);
});
