import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../defaults/index.ts';
import { errorString } from '../field-errors.ts';
import { validateObject, type GVK } from '../index.ts';

type Obj = Record<string, any>;

/** A container the create rules refuse since the securityContext rules were added. */
const badContainer = { name: 'app', image: 'nginx', securityContext: { privileged: true, allowPrivilegeEscalation: false } };
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [badContainer] } };
const selector = { matchLabels: { app: 'web' } };
const meta = { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '5', generation: 1 };

const KINDS: Record<string, { gvk: GVK; spec: Obj; status: Obj; bad: Obj; message: string }> = {
  Deployment: {
    gvk: { group: 'apps', version: 'v1', kind: 'Deployment' },
    spec: { selector, template },
    status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
    bad: { observedGeneration: -1 },
    message: 'status.observedGeneration: Invalid value: -1: must be greater than or equal to 0',
  },
  ReplicaSet: {
    gvk: { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
    spec: { selector, template },
    status: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 },
    bad: { replicas: 1, readyReplicas: 2 },
    message: 'status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas',
  },
  StatefulSet: {
    gvk: { group: 'apps', version: 'v1', kind: 'StatefulSet' },
    spec: { selector, template, serviceName: 'web' },
    status: { replicas: 2, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    bad: { replicas: 2, readyReplicas: 1, availableReplicas: 2 },
    message: 'status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas',
  },
  DaemonSet: {
    gvk: { group: 'apps', version: 'v1', kind: 'DaemonSet' },
    spec: { selector, template },
    status: { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1 },
    bad: { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: -2 },
    message: 'status.numberReady: Invalid value: -2: must be greater than or equal to 0',
  },
  ReplicationController: {
    gvk: { group: '', version: 'v1', kind: 'ReplicationController' },
    spec: { selector: { app: 'web' }, template },
    status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
    bad: { replicas: 1, readyReplicas: 1, availableReplicas: 1, fullyLabeledReplicas: 3 },
    message: 'status.fullyLabeledReplicas: Invalid value: 3: cannot be greater than status.replicas',
  },
};

for (const [kind, k] of Object.entries(KINDS)) {
  const stored = (): Obj => {
    const o: Obj = { apiVersion: k.gvk.group ? `${k.gvk.group}/v1` : 'v1', kind, metadata: { ...meta }, spec: structuredClone(k.spec) };
    applyDefaults(k.gvk, o);
    return o;
  };

  test(`${kind}: a status write succeeds though the stored template fails today's create rules`, () => {
    const old = stored();
    // The premise: the same object would be refused as a spec update.
    const specErrs = validateObject(k.gvk, stored(), old, '').map(errorString);
    assert.ok(specErrs.some((e) => e.includes('allowPrivilegeEscalation')), specErrs.join('\n'));
    const next = { ...stored(), status: structuredClone(k.status) };
    assert.deepEqual(validateObject(k.gvk, next, old, 'status').map(errorString), []);
  });

  test(`${kind}: a bad status counter is refused with upstream's message`, () => {
    const next = { ...stored(), status: structuredClone(k.bad) };
    assert.deepEqual(validateObject(k.gvk, next, stored(), 'status').map(errorString), [k.message]);
  });
}

test('Deployment status: every counter checked, in upstream order, and collisionCount cannot go down', () => {
  const gvk = KINDS.Deployment!.gvk;
  const old: Obj = { metadata: { ...meta }, spec: { selector, template }, status: { collisionCount: 3 } };
  const next: Obj = {
    metadata: { ...meta },
    spec: old.spec,
    status: { replicas: 1, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 2, unavailableReplicas: -1, collisionCount: 2 },
  };
  assert.deepEqual(validateObject(gvk, next, old, 'status').map(errorString), [
    'status.unavailableReplicas: Invalid value: -1: must be greater than or equal to 0',
    'status.updatedReplicas: Invalid value: 2: cannot be greater than status.replicas',
    'status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas',
    'status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas',
    'status.collisionCount: Invalid value: 2: cannot be decremented',
  ]);
});

test('terminatingReplicas: nonnegative on ReplicaSets (and Deployments), not a ReplicationController field', () => {
  const rs = KINDS.ReplicaSet!.gvk;
  const old: Obj = { metadata: { ...meta }, spec: { selector, template } };
  assert.deepEqual(validateObject(rs, { ...old, status: { terminatingReplicas: -1 } }, old, 'status').map(errorString), [
    'status.terminatingReplicas: Invalid value: -1: must be greater than or equal to 0',
  ]);
  const rc = KINDS.ReplicationController!.gvk;
  assert.deepEqual(validateObject(rc, { ...old, status: { terminatingReplicas: -1 } }, old, 'status'), []);
});

test('status writes still get the ObjectMeta update rules', () => {
  const gvk = KINDS.ReplicaSet!.gvk;
  const old: Obj = { metadata: { ...meta }, spec: { selector, template } };
  const next: Obj = { metadata: { ...meta, labels: { 'bad key!': 'x' } }, spec: old.spec, status: {} };
  const errs = validateObject(gvk, next, old, 'status').map(errorString);
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /^metadata\.labels: Invalid value: "bad key!"/);
});

test('CronJob: a status write validates the metadata only', () => {
  const gvk: GVK = { group: 'batch', version: 'v1', kind: 'CronJob' };
  const old: Obj = { metadata: { ...meta }, spec: { schedule: 'not a schedule' } };
  assert.ok(validateObject(gvk, { ...old }, old, '').length > 0);
  assert.deepEqual(validateObject(gvk, { ...old, status: { lastScheduleTime: '2026-01-01T00:00:00Z' } }, old, 'status'), []);
});
