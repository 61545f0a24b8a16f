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

test('what a client controls is cut before a trace is kept: URL, names, groups, extra', () => {
  const ring = new TraceRing(1);
  const t = newTrace('GET', `/api/v1/namespaces/${'n'.repeat(60_000)}`, 0);
  t.auditID = 'big';
  t.user = { username: 'u'.repeat(10_000), groups: Array.from({ length: 10_000 }, (_, i) => `g${i}`), extra: { x: ['y'.repeat(10_000)] } };
  ring.add(t);
  const kept = ring.get('big')!;
  assert.ok(kept.url.length <= 4097);
  assert.ok(kept.user!.username.length <= 257);
  assert.equal(kept.user!.groups.length, 65);
  assert.equal(kept.user!.groups[64], '… 9936 more');
  assert.equal(kept.user!.extra, undefined);
});

test('admission verdicts keep their members and order with and without a reason or patches', () => {
  const t = newTrace('POST', '/api/v1/namespaces/x/pods', 0);
  traceAdmission(t, [
    { plugin: 'Plain', phase: 'mutating', allowed: true, durationMs: 0.0004 },
    { plugin: 'Empty', phase: 'mutating', allowed: true, reason: '', patches: [], durationMs: 2 },
    { plugin: 'Why', phase: 'validating', allowed: false, reason: 'no', durationMs: 1 },
    { plugin: 'Both', phase: 'mutating', allowed: true, reason: 'r', patches: [{ op: 'add', path: '/a', value: 1 }], durationMs: 3 },
  ]);
  assert.equal(
    JSON.stringify(t.admission),
    JSON.stringify([
      { plugin: 'Plain', phase: 'mutating', allowed: true, durationMs: 0 },
      { plugin: 'Empty', phase: 'mutating', allowed: true, durationMs: 2 },
      { plugin: 'Why', phase: 'validating', allowed: false, reason: 'no', durationMs: 1 },
      { plugin: 'Both', phase: 'mutating', allowed: true, reason: 'r', patches: '[{"op":"add","path":"/a","value":1}]', durationMs: 3 },
    ]),
  );
});
