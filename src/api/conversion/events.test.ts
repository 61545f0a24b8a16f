import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventCoreToV1, eventV1ToCore } from './events.ts';

type Obj = Record<string, any>;
const PAIRS: Array<[string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

/** The conversion as first written (a spread, then delete and re-add): the member order to keep. */
function reference(o: Obj, pairs: Array<[string, string]>, apiVersion: string): Obj {
  const out: Obj = { ...o, apiVersion };
  for (const [from, to] of pairs) {
    delete out[from];
    if (Object.hasOwn(o, from)) out[to] = o[from];
  }
  return out;
}

const v1: Obj = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'p.1', namespace: 'ns' },
  eventTime: '2026-01-01T00:00:00.000000Z',
  reportingController: 'default-scheduler',
  reportingInstance: 'default-scheduler-h',
  action: 'Binding',
  reason: 'Scheduled',
  regarding: { kind: 'Pod', name: 'p' },
  note: 'Successfully assigned ns/p to n',
  type: 'Normal',
  series: { count: 2, lastObservedTime: '2026-01-01T00:00:01.000000Z' },
};

test('events.k8s.io/v1 <-> core/v1: the same members, values and member order as the spread-and-delete form', () => {
  const core = reference(v1, PAIRS, 'v1');
  const back = reference(core, PAIRS.map(([a, b]) => [b, a]), 'events.k8s.io/v1');
  const cases: Array<[Obj, Obj, Obj]> = [
    [eventV1ToCore(v1), core, v1],
    [eventCoreToV1(core), back, core],
    // No apiVersion: appended after the kept members, before the renamed ones.
    [eventV1ToCore({ kind: 'Event', note: 'n', reason: 'r' }), reference({ kind: 'Event', note: 'n', reason: 'r' }, PAIRS, 'v1'), {}],
    // A core name sent alongside its v1 name: the v1 value wins, in the core member's place.
    [eventV1ToCore({ message: 'old', kind: 'Event', note: 'new' }), reference({ message: 'old', kind: 'Event', note: 'new' }, PAIRS, 'v1'), {}],
  ];
  for (const [got, want] of cases) assert.equal(JSON.stringify(got), JSON.stringify(want));
  assert.equal(eventV1ToCore(v1).message, v1.note);
  assert.deepEqual(eventCoreToV1(eventV1ToCore(v1)), v1);
});

test('a member named __proto__ stays a member and sets no prototype', () => {
  const o = JSON.parse('{"kind":"Event","__proto__":{"polluted":true},"note":"n"}') as Obj;
  const core = eventV1ToCore(o);
  assert.equal(Object.getPrototypeOf(core), Object.prototype);
  assert.equal((core as Obj).polluted, undefined);
  assert.deepEqual(Object.keys(core), ['kind', '__proto__', 'apiVersion', 'message']);
});
