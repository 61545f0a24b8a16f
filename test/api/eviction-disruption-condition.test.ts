/**
 * The Eviction API marks the pod it deletes, as upstream 1.33's addConditionAndDeletePod
 * (pkg/registry/core/pod/storage/eviction.go; PodDisruptionConditions GA in 1.31): unless a dry
 * run, the DisruptionTarget condition (reason EvictionByEvictionAPI, message "Eviction API:
 * evicting") is written first, then the pod is deleted, a client's resourceVersion precondition
 * moved to the revision of that write; a precondition that no longer holds is upstream's Conflict
 * on "Pod" and leaves the pod alone. Pods hold a finalizer here so the deleted pod can be read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();
const NS = '/api/v1/namespaces/default';
const HOLD = 'example.com/hold';

async function pod(name: string, phase: 'Running' | 'Pending', ready = true, labels: Record<string, string> = { app: name }) {
  const r = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, finalizers: [HOLD] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  assert.equal(r.status, 201, r.text);
  if (phase === 'Pending') return r.body;
  const s = await c.admin.patch(`${NS}/pods/${name}/status`, { status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, 'application/merge-patch+json');
  assert.equal(s.status, 200, s.text);
  return s.body;
}

const eviction = (name: string, deleteOptions?: object) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...(deleteOptions ? { deleteOptions } : {}) });
const disruption = (p: { status?: { conditions?: Array<{ type: string }> } }) => p.status?.conditions?.find((x) => x.type === 'DisruptionTarget');

async function release(name: string) {
  const r = await c.admin.patch(`${NS}/pods/${name}`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
  assert.equal(r.status, 200, r.text);
}

function assertMarked(p: { metadata: { deletionTimestamp?: string }; status?: { conditions?: Array<{ type: string }> } }) {
  assert.ok(p.metadata.deletionTimestamp, 'deleted');
  const cond = disruption(p) as Record<string, unknown> | undefined;
  assert.ok(cond, JSON.stringify(p.status));
  assert.deepEqual(Object.keys(cond!), ['type', 'status', 'lastProbeTime', 'lastTransitionTime', 'reason', 'message']);
  assert.deepEqual({ ...cond, lastTransitionTime: typeof cond!.lastTransitionTime }, { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: 'string', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
}

test('an evicted pod without a budget gets DisruptionTarget, written before the deletion', async () => {
  const p = await pod('plain', 'Running');
  const seen = c.admin.watch(`${NS}/pods?watch=1&fieldSelector=metadata.name=plain&resourceVersion=${p.metadata.resourceVersion}`, (ev) => ev.length >= 2);
  const r = await c.admin.post(`${NS}/pods/plain/eviction`, eviction('plain'));
  assert.equal(r.status, 201, r.text);
  const { events } = await seen;
  assert.deepEqual(events.slice(0, 2).map((e) => [e.type, Boolean(disruption(e.object)), Boolean(e.object.metadata.deletionTimestamp)]), [
    ['MODIFIED', true, false],
    ['MODIFIED', true, true],
  ]);
  assertMarked((await c.admin.get(`${NS}/pods/plain`)).body);
  await release('plain');
});

test("a client's resourceVersion precondition: the current one is moved past the condition's write; a stale one is upstream's Conflict and changes nothing", async () => {
  const p = await pod('pinned', 'Running');
  const stale = await c.admin.post(`${NS}/pods/pinned/eviction`, eviction('pinned', { preconditions: { resourceVersion: '1' } }));
  assert.equal(stale.status, 409, stale.text);
  assert.equal(stale.body.message, `Operation cannot be fulfilled on Pod "pinned": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${p.metadata.resourceVersion}). The object might have been modified`);
  assert.deepEqual(stale.body.details, { name: 'pinned', kind: 'Pod' });
  const untouched = (await c.admin.get(`${NS}/pods/pinned`)).body;
  assert.equal(untouched.metadata.resourceVersion, p.metadata.resourceVersion);
  assert.equal(disruption(untouched), undefined);
  const uid = await c.admin.post(`${NS}/pods/pinned/eviction`, eviction('pinned', { preconditions: { uid: 'not-the-uid' } }));
  assert.equal(uid.status, 409, uid.text);
  assert.equal(uid.body.message, `Operation cannot be fulfilled on Pod "pinned": the UID in the precondition (not-the-uid) does not match the UID in record (${p.metadata.uid}). The object might have been deleted and then recreated`);

  const ok = await c.admin.post(`${NS}/pods/pinned/eviction`, eviction('pinned', { preconditions: { resourceVersion: p.metadata.resourceVersion, uid: p.metadata.uid } }));
  assert.equal(ok.status, 201, ok.text);
  assertMarked((await c.admin.get(`${NS}/pods/pinned`)).body);
  await release('pinned');
});

test('a dry run writes no condition; a pending pod (no budget looked at) and an unready pod under a budget are marked too', async () => {
  const p = await pod('dry', 'Running');
  const dry = await c.admin.post(`${NS}/pods/dry/eviction?dryRun=All`, eviction('dry'));
  assert.equal(dry.status, 201, dry.text);
  const after = (await c.admin.get(`${NS}/pods/dry`)).body;
  assert.equal(after.metadata.resourceVersion, p.metadata.resourceVersion);
  assert.equal(disruption(after), undefined);
  await release('dry');
  assert.equal((await c.admin.delete(`${NS}/pods/dry?gracePeriodSeconds=0`)).status, 200);

  await pod('waiting', 'Pending');
  assert.equal((await c.admin.post(`${NS}/pods/waiting/eviction`, eviction('waiting'))).status, 201);
  assertMarked((await c.admin.get(`${NS}/pods/waiting`)).body);
  await release('waiting');

  await pod('sick', 'Running', false, { app: 'guarded' });
  const pdb = await c.admin.post('/apis/policy/v1/namespaces/default/poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guard' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } } });
  assert.equal(pdb.status, 201, pdb.text);
  const st = await c.admin.patch('/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard/status', { status: { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 2 } }, 'application/merge-patch+json');
  assert.equal(st.status, 200, st.text);
  const r = await c.admin.post(`${NS}/pods/sick/eviction`, eviction('sick'));
  assert.equal(r.status, 201, r.text);
  assertMarked((await c.admin.get(`${NS}/pods/sick`)).body);
  await release('sick');
  assert.equal((await c.admin.delete('/apis/policy/v1/namespaces/default/poddisruptionbudgets/guard')).status, 200);
});

test('a pod two budgets select: upstream\'s Failure Status (code 500) written with the create\'s 201; nothing marked or deleted', async () => {
  const p = await pod('twice', 'Running', true, { app: 'twice' });
  for (const name of ['twice-a', 'twice-b']) {
    const r = await c.admin.post('/apis/policy/v1/namespaces/default/poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'twice' } } } });
    assert.equal(r.status, 201, r.text);
  }
  const r = await c.admin.post(`${NS}/pods/twice/eviction`, eviction('twice'));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.text.trim(), JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 }));
  const after = (await c.admin.get(`${NS}/pods/twice`)).body;
  assert.equal(after.metadata.resourceVersion, p.metadata.resourceVersion);
  assert.equal(after.metadata.deletionTimestamp, undefined);
  for (const name of ['twice-a', 'twice-b']) assert.equal((await c.admin.delete(`/apis/policy/v1/namespaces/default/poddisruptionbudgets/${name}`)).status, 200);
  await release('twice');
  assert.equal((await c.admin.delete(`${NS}/pods/twice?gracePeriodSeconds=0`)).status, 200);
});
