import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../defaults/index.ts';
import { errorString } from '../field-errors.ts';
import { validateObject, type GVK } from '../index.ts';

type Obj = Record<string, any>;
const GVK_JOB: GVK = { group: 'batch', version: 'v1', kind: 'Job' };

/** A Job whose template the create rules refuse since the securityContext rules were added. */
function stored(status: Obj = {}): Obj {
  const job: Obj = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'u1', resourceVersion: '3', labels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
    spec: {
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      template: {
        metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl', securityContext: { privileged: true, allowPrivilegeEscalation: false } }] },
      },
    },
    status,
  };
  applyDefaults(GVK_JOB, job);
  return job;
}

const errs = (next: Obj, old: Obj): string[] => validateObject(GVK_JOB, next, old, 'status').map(errorString);
const cond = (type: string) => ({ type, status: 'True' });
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

test('Job: a status write succeeds though the stored template fails the create rules', () => {
  const old = stored();
  assert.ok(validateObject(GVK_JOB, stored(), old, '').map(errorString).some((e) => e.includes('allowPrivilegeEscalation')));
  assert.deepEqual(errs(stored({ active: 1, ready: 1, startTime: T0 }), old), []);
});

test('Job: a controller finishing a Job the upstream way passes every transition rule', () => {
  const running = stored({ active: 1, startTime: T0 });
  const met = stored({ active: 0, succeeded: 1, startTime: T0, conditions: [cond('SuccessCriteriaMet')] });
  assert.deepEqual(errs(met, running), []);
  const done = stored({ active: 0, succeeded: 1, startTime: T0, completionTime: T1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] });
  assert.deepEqual(errs(done, met), []);
});

test('Job: negative counters and bad uncountedTerminatedPods', () => {
  const next = stored({ active: -1, uncountedTerminatedPods: { succeeded: ['a', ''], failed: ['a'] } });
  assert.deepEqual(errs(next, stored()), [
    'status.active: Invalid value: -1: must be greater than or equal to 0',
    'status.uncountedTerminatedPods.succeeded[1]: Invalid value: "": must not be empty',
    'status.uncountedTerminatedPods.failed[0]: Duplicate value: "a"',
  ]);
});

test('Job: transitions upstream refuses', () => {
  const old = stored({ failed: 2, succeeded: 1, startTime: T0, completionTime: T1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] });
  const next = stored({ failed: 1, succeeded: 0, startTime: T0, completionTime: '2026-01-01T00:02:00Z', conditions: [] });
  assert.deepEqual(errs(next, old), [
    'status.completionTime: Invalid value: 2026-01-01 00:02:00 +0000 UTC: cannot set completionTime when there is no Complete=True condition',
    'status.conditions: Invalid value: cannot disable the terminal Complete=True condition',
    'status.failed: Invalid value: 1: cannot decrease the failed counter',
    'status.succeeded: Invalid value: 0: cannot decrease the succeeded counter',
    'status.completionTime: Invalid value: 2026-01-01 00:02:00 +0000 UTC: completionTime cannot be mutated',
    'status.conditions: Invalid value: cannot disable the SuccessCriteriaMet=True condition',
  ]);
});

test('Job: finishing requires completionTime and startTime, and no active pods', () => {
  const old = stored({ active: 1 });
  const next = stored({ active: 1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] });
  assert.deepEqual(errs(next, old), [
    'status.completionTime: Required value: completionTime is required for Complete jobs',
    'status.active: Invalid value: 1: active>0 is invalid for finished job',
    'status.startTime: Required value: startTime is required for finished job',
  ]);
});

test('Job: a rule on an unchanged field does not block unrelated status writes', () => {
  // Already finished with an active pod (stored before the rule); a write touching only `ready` passes.
  const old = stored({ active: 1, startTime: T0, completionTime: T1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] });
  const next = structuredClone(old);
  next.status.ready = 0;
  assert.deepEqual(errs(next, old), []);
});
