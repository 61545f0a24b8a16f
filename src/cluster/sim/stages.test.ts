import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { K8sObject } from '../client/types.ts';
import { dueAt, fieldValues, matches, podStage } from './stages.ts';

const pod = (p: { phase?: string; deleting?: boolean; grace?: number; owner?: string; startTime?: string }): K8sObject => ({
  metadata: {
    name: 'p',
    namespace: 'default',
    ...(p.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: p.grace ?? 30 } : {}),
    ...(p.owner ? { ownerReferences: [{ apiVersion: 'v1', kind: p.owner, name: 'o', uid: 'u', controller: true }] } : {}),
  },
  spec: { nodeName: 'sim-node-0', containers: [{ name: 'c', image: 'nginx' }] },
  status: { ...(p.phase ? { phase: p.phase } : {}), ...(p.startTime ? { startTime: p.startTime } : {}) },
});

// The stages table, row by row: which stage a pod in a given state is in.
const cases: Array<[string, K8sObject, string | undefined]> = [
  ['a new pod without status phase becomes Running', pod({}), 'pod-ready'],
  ['a Pending pod becomes Running', pod({ phase: 'Pending' }), 'pod-ready'],
  ['a Running pod of a Deployment stays', pod({ phase: 'Running', owner: 'ReplicaSet' }), undefined],
  ['a Running pod without owner stays', pod({ phase: 'Running' }), undefined],
  ['a Running pod of a Job completes', pod({ phase: 'Running', owner: 'Job' }), 'pod-complete'],
  ['a Pending pod of a Job first runs', pod({ phase: 'Pending', owner: 'Job' }), 'pod-ready'],
  ['a Succeeded pod stays', pod({ phase: 'Succeeded', owner: 'Job' }), undefined],
  ['a Failed pod stays', pod({ phase: 'Failed' }), undefined],
  ['a pod being deleted is finished', pod({ phase: 'Running', deleting: true }), 'pod-delete'],
  ['a Pending pod being deleted is finished, not started', pod({ phase: 'Pending', deleting: true }), 'pod-delete'],
  ['a pod deleted with grace 0 waits for its finalizers', pod({ phase: 'Running', deleting: true, grace: 0 }), undefined],
];

for (const [name, p, want] of cases) {
  test(`stages: ${name}`, () => {
    assert.equal(podStage(p)?.name, want);
  });
}

test('fieldValues fans out over lists and skips what is absent', () => {
  const o = { metadata: { ownerReferences: [{ kind: 'Job' }, { kind: 'Other' }, {}] } };
  assert.deepEqual(fieldValues(o, 'metadata.ownerReferences.kind'), ['Job', 'Other']);
  assert.deepEqual(fieldValues(o, 'metadata.labels.x'), []);
  assert.deepEqual(fieldValues({ a: { b: 0 } }, 'a.b'), ['0']);
});

test('selector operators: In and Exists need a value, NotIn and DoesNotExist hold without one', () => {
  assert.equal(matches({}, [{ key: 'a', operator: 'In', values: ['x'] }]), false);
  assert.equal(matches({}, [{ key: 'a', operator: 'Exists' }]), false);
  assert.equal(matches({}, [{ key: 'a', operator: 'NotIn', values: ['x'] }]), true);
  assert.equal(matches({}, [{ key: 'a', operator: 'DoesNotExist' }]), true);
  assert.equal(matches({ a: 'x' }, [{ key: 'a', operator: 'NotIn', values: ['x'] }]), false);
  assert.equal(matches({ a: 'x' }, [{ key: 'a', operator: 'DoesNotExist' }]), false);
});

test('a Job pod is due its run time after its startTime; other stages at once', () => {
  const now = Date.parse('2026-01-01T00:00:10Z');
  const job = pod({ phase: 'Running', owner: 'Job', startTime: '2026-01-01T00:00:00Z' });
  assert.equal(dueAt(podStage(job)!, job, now, 5_000), Date.parse('2026-01-01T00:00:05Z'));
  assert.equal(dueAt(podStage(pod({}))!, pod({}), now, 5_000), now);
});
