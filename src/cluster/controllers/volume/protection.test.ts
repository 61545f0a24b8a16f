/** The PVC and PV protection controllers on the fake client. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { startHarness } from '../job/test-harness.ts';
import { newPvcProtectionController, newPvProtectionController } from './protection.ts';

const PVCS = resources.persistentvolumeclaims;
const PVS = resources.persistentvolumes;
const PODS = resources.pods;
const FIN = 'kubernetes.io/pvc-protection';

const claim = (name: string, finalizers = [FIN]): K8sObject => ({ metadata: { name, namespace: 'default', finalizers }, spec: { accessModes: ['ReadWriteOnce'] } });
const podUsing = (name: string, claimName: string, nodeName?: string): K8sObject => ({
  metadata: { name, namespace: 'default' },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] },
  status: { phase: 'Running' },
});
const storedClaim = (h: { client: { stored<T extends K8sObject>(r: typeof PVCS, ns: string): T[] } }, name: string) => h.client.stored<K8sObject>(PVCS, 'default').find((c) => c.metadata.name === name);

test('a claim used by a scheduled pod stays Terminating until the pod is gone; an unused one goes at once', async () => {
  const h = await startHarness(newPvcProtectionController);
  try {
    h.client.seed(PVCS, claim('used'));
    h.client.seed(PVCS, claim('unused'));
    h.client.seed(PVCS, claim('unscheduled-user'));
    h.client.seed(PODS, podUsing('web', 'used', 'node-1'));
    h.client.seed(PODS, podUsing('pending', 'unscheduled-user'));
    await h.idle();
    for (const n of ['used', 'unused', 'unscheduled-user']) await h.client.delete(PVCS, 'default', n);
    await h.idle();
    assert.equal(storedClaim(h, 'unused'), undefined);
    assert.equal(storedClaim(h, 'unscheduled-user'), undefined, 'a pod not on a node does not hold its claim');
    const held = storedClaim(h, 'used');
    assert.ok(held?.metadata.deletionTimestamp, 'Terminating');
    assert.deepEqual(held.metadata.finalizers, [FIN]);
    // A pod that has terminated no longer holds it (its update brings the claim back to the queue).
    const pod = h.client.stored<K8sObject>(PODS, 'default').find((p) => p.metadata.name === 'web')!;
    await h.client.update(PODS, 'default', { ...pod, status: { phase: 'Succeeded' } }, 'status');
    await h.idle();
    assert.ok(storedClaim(h, 'used'), 'a terminated pod still on the API still uses it (upstream: only a deleted or shut-down pod lets go)');
    await h.client.delete(PODS, 'default', 'web');
    await h.idle();
    assert.equal(storedClaim(h, 'used'), undefined);
  } finally {
    await h.stop();
  }
});

test('a claim without the finalizer (made while the admission plugin was off) gets it; a deleting one does not', async () => {
  const h = await startHarness(newPvcProtectionController);
  try {
    h.client.seed(PVCS, claim('old', []));
    h.client.seed(PVCS, claim('other', ['example.com/keep']));
    await h.idle();
    assert.deepEqual(storedClaim(h, 'old')?.metadata.finalizers, [FIN]);
    assert.deepEqual(storedClaim(h, 'other')?.metadata.finalizers, ['example.com/keep', FIN]);
  } finally {
    await h.stop();
  }
});

test('a volume being deleted keeps kubernetes.io/pv-protection while Bound, loses it once not', async () => {
  const h = await startHarness(newPvProtectionController);
  try {
    const pv = (name: string, phase: string, finalizers = ['kubernetes.io/pv-protection']): K8sObject => ({ metadata: { name, finalizers }, spec: { capacity: { storage: '1Gi' } }, status: { phase } });
    h.client.seed(PVS, pv('bound', 'Bound'));
    h.client.seed(PVS, pv('released', 'Released'));
    h.client.seed(PVS, pv('bare', 'Available', []));
    await h.idle();
    assert.deepEqual(h.client.stored<K8sObject>(PVS, '').find((v) => v.metadata.name === 'bare')?.metadata.finalizers, ['kubernetes.io/pv-protection']);
    await h.client.delete(PVS, '', 'bound');
    await h.client.delete(PVS, '', 'released');
    await h.idle();
    const names = () => h.client.stored<K8sObject>(PVS, '').map((v) => v.metadata.name).sort();
    assert.deepEqual(names(), ['bare', 'bound']);
    const bound = h.client.stored<K8sObject>(PVS, '').find((v) => v.metadata.name === 'bound')!;
    await h.client.update(PVS, '', { ...bound, status: { phase: 'Released' } }, 'status');
    await h.idle();
    assert.deepEqual(names(), ['bare']);
  } finally {
    await h.stop();
  }
});
