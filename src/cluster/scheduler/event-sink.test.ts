import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../client/types.ts';
import { EventSink } from './event-sink.ts';

const ev = (i: number): K8sObject => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: `e${i}` }, reason: 'Scheduled' });

test('writes in the background at bounded concurrency, drops past the queue bound, and reports idle when drained', async () => {
  const release: Array<() => void> = [];
  const written: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const warnings: unknown[] = [];
  const sink = new EventSink({
    concurrency: 2,
    maxQueued: 3,
    log: { warn: (o) => warnings.push(o) },
    write: (e) => new Promise<void>((resolve) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      release.push(() => (inFlight--, written.push(e.metadata.name!), resolve()));
    }),
  });
  for (let i = 0; i < 7; i++) sink.record(ev(i));
  // Two are being written, three wait, two were dropped.
  assert.equal(sink.pending, 5);
  assert.equal(sink.dropped, 2);
  assert.equal(warnings.length, 1, 'one warning for a run of drops');
  let idle = false;
  const whenIdle = sink.idle().then(() => (idle = true));
  while (release.length > 0 || sink.pending > 0) {
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await whenIdle;
  assert.ok(idle);
  assert.deepEqual(written.sort(), ['e0', 'e1', 'e2', 'e3', 'e4']);
  assert.equal(maxInFlight, 2);
});

test('a failed write is logged and the queue goes on', async () => {
  const warnings: unknown[] = [];
  const written: string[] = [];
  const sink = new EventSink({
    log: { warn: (o) => warnings.push(o) },
    write: async (e) => {
      if (e.metadata.name === 'e0') throw new Error('forbidden');
      written.push(e.metadata.name!);
    },
  });
  sink.record(ev(0));
  sink.record(ev(1));
  await sink.idle();
  assert.deepEqual(written, ['e1']);
  assert.equal(warnings.length, 1);
});
