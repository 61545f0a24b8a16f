import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TraceRing, newTrace, renderTrace, traceAdmission } from './trace.ts';

test('the ring keeps the last `capacity` traces by audit ID and forgets the oldest', () => {
  const ring = new TraceRing(3);
  for (const id of ['a', 'b', 'c', 'd']) {
    const t = newTrace('GET', '/version', 0);
    t.auditID = id;
    ring.add(t);
  }
  assert.equal(ring.size, 3);
  assert.equal(ring.get('a'), undefined);
  assert.equal(ring.get('d')?.auditID, 'd');
  // A trace without an ID cannot be asked for: not kept.
  ring.add(newTrace('GET', '/', 0));
  assert.equal(ring.size, 3);
  assert.throws(() => new TraceRing(0), /positive integer/);
});

test('patches and reasons are clipped when the request ends, so a kept trace stays small', () => {
  const t = newTrace('POST', '/api/v1/namespaces/x/pods', Date.parse('2026-01-01T00:00:00Z'));
  t.auditID = 'x';
  traceAdmission(t, [{ plugin: 'Big', phase: 'mutating', allowed: true, patches: [{ op: 'add', path: '/x', value: 'v'.repeat(100_000) }], durationMs: 1.23456 }]);
  const doc = renderTrace(t) as any;
  assert.equal(doc.requestReceivedTimestamp, '2026-01-01T00:00:00.000Z');
  assert.ok(doc.admission[0].patches.length <= 4097);
  assert.equal(doc.admission[0].durationMs, 1.235);
});
