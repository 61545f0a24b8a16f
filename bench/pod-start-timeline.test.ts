import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podStartTimeline } from './pod-start-timeline.ts';

const full = (t0: number, gateWait: number) => ({
  created: t0,
  acked: t0 + 120,
  running: t0 + 1000,
  steps: {
    update: t0 + 100, sync: t0 + 101, 'sandbox:wait': t0 + 102, 'sandbox:run': t0 + 102 + gateWait, 'sandbox:done': t0 + 150 + gateWait,
    image: t0 + 151 + gateWait, env: t0 + 153 + gateWait, 'create:wait': t0 + 153 + gateWait, 'create:run': t0 + 160 + gateWait, 'create:done': t0 + 200 + gateWait,
    'start:wait': t0 + 201 + gateWait, 'start:run': t0 + 201 + gateWait, 'start:done': t0 + 300 + gateWait,
    'status:Running': t0 + 305 + gateWait, 'written:Running': t0 + 320 + gateWait,
  },
});

test('each segment is summarized over the pods that have both its ends; the gate waits are summed per pod', () => {
  // A pod whose start failed after its sandbox: no create, start or Running.
  const failed = { created: 0, steps: { update: 50, sync: 50, 'sandbox:wait': 51, 'sandbox:run': 52, 'sandbox:done': 90 } };
  const t = podStartTimeline([full(0, 0), full(10, 400), failed]);
  assert.equal(t['create to agent watch']!.count, 3);
  // The watch can deliver the pod before the create's answer arrives.
  assert.deepEqual([t['create request']!.count, t['answer to agent watch']!.p50], [2, -20]);
  assert.deepEqual([t['sandbox gate wait']!.count, t['sandbox gate wait']!.max], [3, 400]);
  assert.deepEqual([t.sandbox!.count, t.sandbox!.p50, t.sandbox!.max], [3, 48, 48]);
  assert.equal(t.create!.count, 2);
  assert.equal(t['status patch']!.p50, 15);
  assert.equal(t.total!.count, 2);
  assert.equal(t['patch to bench watch']!.max, 680);
  // Summed per pod: sandbox 400 + create 7 for the second, 7 for the first, 1 for the failed one.
  assert.deepEqual([t['gate waits, summed']!.count, t['gate waits, summed']!.max, t['gate waits, summed']!.p50], [3, 407, 7]);
});
