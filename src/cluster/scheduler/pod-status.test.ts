import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventV1ToCore } from '../../api/conversion/events.ts';
import { NOTE_LENGTH_LIMIT, podEvent, truncateNote } from './pod-status.ts';
import type { Pod } from './resources.ts';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', resourceVersion: '42' }, spec: {} } as unknown as Pod;
const at = Date.parse('2026-03-04T05:06:07.089Z');

test('the Scheduled event is the events.k8s.io/v1 Event of client-go tools/events', () => {
  const e = podEvent(pod, { type: 'Normal', reason: 'Scheduled', action: 'Binding', message: 'Successfully assigned shop/web-1 to n1', component: 'default-scheduler', instance: 'default-scheduler-host', now: at });
  const { metadata, ...rest } = e;
  assert.match(metadata.name ?? '', /^web-1\.[0-9a-f]+$/);
  // <name>.<unix nanos in hex>: the millisecond's nanoseconds, plus a sequence below a millisecond.
  const nanos = BigInt(`0x${metadata.name!.slice('web-1.'.length)}`);
  assert.equal(nanos / 1_000_000n, BigInt(at));
  assert.equal(metadata.namespace, 'shop');
  assert.deepEqual(rest, {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    eventTime: '2026-03-04T05:06:07.089000Z',
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-host',
    action: 'Binding',
    reason: 'Scheduled',
    regarding: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'u-1', resourceVersion: '42' },
    note: 'Successfully assigned shop/web-1 to n1',
    type: 'Normal',
  });
  // Stored (and listed through core/v1, as kubectl describe reads it) with the same content.
  const core = eventV1ToCore(e);
  assert.equal(core.message, 'Successfully assigned shop/web-1 to n1');
  assert.equal(core.reportingComponent, 'default-scheduler');
  assert.deepEqual(core.involvedObject, e.regarding);
  assert.equal(core.eventTime, '2026-03-04T05:06:07.089000Z');
});

test('a note past 1 KiB is cut as the scheduler cuts it, ending in " ..."', () => {
  assert.equal(truncateNote('short'), 'short');
  const exact = 'x'.repeat(NOTE_LENGTH_LIMIT);
  assert.equal(truncateNote(exact), exact);
  const long = 'y'.repeat(NOTE_LENGTH_LIMIT + 1);
  assert.equal(truncateNote(long), 'y'.repeat(NOTE_LENGTH_LIMIT - 4) + ' ...');
  // Bytes, not characters; never half a character.
  const wide = 'é'.repeat(NOTE_LENGTH_LIMIT);
  const cut = truncateNote(wide);
  assert.ok(Buffer.byteLength(cut) <= NOTE_LENGTH_LIMIT);
  assert.equal(cut, 'é'.repeat((NOTE_LENGTH_LIMIT - 4) / 2) + ' ...');
  const odd = 'a' + 'é'.repeat(NOTE_LENGTH_LIMIT);
  assert.equal(truncateNote(odd), 'a' + 'é'.repeat((NOTE_LENGTH_LIMIT - 4 - 2) / 2) + ' ...');
});
