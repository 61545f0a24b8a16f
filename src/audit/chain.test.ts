import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainLine, checkLine, GENESIS, HASH, PREV_HASH, sha256hex } from './chain.ts';
import type { AuditEvent } from './types.ts';

const base: AuditEvent = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: 'a1', stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/ns/configmaps', verb: 'create', user: { username: 'alice', groups: ['dev'] }, requestReceivedTimestamp: '2026-12-06T00:00:00.000000Z', stageTimestamp: '2026-12-06T00:00:00.000100Z' };

/** The format: the record with its annotations last, ending with the previous hash and its own. */
function expected(record: Record<string, unknown>, prev: string, hash: string): string {
  const { annotations, ...rest } = record as { annotations?: Record<string, string> };
  return JSON.stringify({ ...rest, annotations: { ...annotations, [PREV_HASH]: prev, [HASH]: hash } });
}

test('a chained line is the record with the chain annotations last, hashed over itself without its own hash', () => {
  const prev = sha256hex('previous');
  const cases: Record<string, unknown>[] = [
    { ...base },
    { ...base, annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: "quoted" \u2603' } },
    { ...base, annotations: {} },
    // Annotations not last: they are moved last.
    { kind: 'Event', annotations: { a: 'b' }, auditID: 'a2', stage: 'Panic' },
  ];
  for (const record of cases) {
    const { line, hash } = chainLine(record as unknown as AuditEvent, prev);
    assert.equal(line, expected(record, prev, hash));
    assert.deepEqual(checkLine(line), { claimed: hash, intact: true });
    const parsed = JSON.parse(line) as { annotations: Record<string, string> };
    assert.deepEqual(Object.keys(parsed.annotations).slice(-2), [PREV_HASH, HASH]);
    assert.equal(hash, sha256hex(expected(record, prev, hash).replace(`,"${HASH}":"${hash}"`, '')));
  }
});

test('one changed byte breaks the line; the genesis hash starts a chain', () => {
  const { line } = chainLine(base, GENESIS);
  assert.equal((JSON.parse(line) as { annotations: Record<string, string> }).annotations[PREV_HASH], GENESIS);
  assert.equal(checkLine(line.replace('alice', 'alicf')).intact, false);
});
