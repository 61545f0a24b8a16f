/** The PersistentVolume binder on the fake client, the real informers and queue, and a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { ApiStatusError } from '../../client/errors.ts';
import { resources } from '../../client/resources.ts';
import { eventsOf, startHarness, type Harness } from '../job/test-harness.ts';
import { newPersistentVolumeBinder } from './binder.ts';
import { localPathStorageClass } from './local-path.ts';
import { PVCS, PVS, STORAGE_CLASSES } from './binder-ops.ts';

const pv = (name: string, size: string, extra: Record<string, unknown> = {}): K8sObject => ({
  metadata: { name },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: `/data/${name}` }, ...extra },
});
const pvc = (name: string, size: string, spec: Record<string, unknown> = {}, annotations?: Record<string, string>): K8sObject => ({
  metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...spec },
});

const volume = (h: Harness, name: string) => h.client.stored<K8sObject>(PVS, '').find((v) => v.metadata.name === name);
const claim = (h: Harness, name: string) => h.client.stored<K8sObject>(PVCS, 'default').find((c) => c.metadata.name === name)!;

test('binds a claim to the smallest fitting Available volume of its class: claimRef, annotations, phases, status', async () => {
  const h = await startHarness(newPersistentVolumeBinder);
  try {
    h.client.seed(PVS, pv('big', '10Gi', { storageClassName: 'manual' }));
    h.client.seed(PVS, pv('small', '5Gi', { storageClassName: 'manual' }));
    h.client.seed(PVS, pv('tiny', '1Gi', { storageClassName: 'manual' }));
    h.client.seed(PVS, pv('other-class', '4Gi', { storageClassName: 'fast' }));
    h.client.seed(PVS, pv('rwx-only', '4Gi', { storageClassName: 'manual', accessModes: ['ReadWriteMany'] }));
    await h.idle();
    assert.deepEqual(h.client.stored<K8sObject>(PVS, '').map((v) => v.status?.phase), ['Available', 'Available', 'Available', 'Available', 'Available']);
    const c = h.client.seed(PVCS, pvc('data', '3Gi', { storageClassName: 'manual' }));
    await h.idle();
    const bound = claim(h, 'data');
    assert.equal(bound.spec.volumeName, 'small');
    assert.equal(bound.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal(bound.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.deepEqual(bound.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' } });
    const v = volume(h, 'small')!;
    assert.equal(v.status.phase, 'Bound');
    assert.ok(v.status.lastPhaseTransitionTime);
    assert.deepEqual([v.spec.claimRef.kind, v.spec.claimRef.namespace, v.spec.claimRef.name, v.spec.claimRef.uid], ['PersistentVolumeClaim', 'default', 'data', c.metadata.uid]);
    assert.equal(v.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    // Retain: the claim's deletion releases the volume and keeps it.
    await h.client.delete(PVCS, 'default', 'data');
    await h.idle();
    assert.equal(volume(h, 'small')!.status.phase, 'Released');
  } finally {
    await h.stop();
  }
});

test('a claim pre-bound by volumeName binds that volume; a volume pre-bound to a claim by name waits for it', async () => {
  const h = await startHarness(newPersistentVolumeBinder);
  try {
    h.client.seed(PVS, pv('chosen', '100Gi'));
    h.client.seed(PVS, pv('reserved', '2Gi', { claimRef: { namespace: 'default', name: 'later' } }));
    await h.idle();
    assert.equal(volume(h, 'reserved')!.status.phase, 'Available');
    h.client.seed(PVCS, pvc('mine', '1Gi', { storageClassName: '', volumeName: 'chosen' }));
    h.client.seed(PVCS, pvc('later', '1Gi', { storageClassName: '' }));
    await h.idle();
    assert.equal(claim(h, 'mine').status.phase, 'Bound');
    assert.equal(claim(h, 'mine').metadata.annotations['pv.kubernetes.io/bound-by-controller'], undefined, 'the user chose the volume');
    assert.equal(claim(h, 'later').spec.volumeName, 'reserved');
    assert.equal(volume(h, 'reserved')!.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined);
  } finally {
    await h.stop();
  }
});

test('no volume and no class: Pending with FailedBinding, until a volume appears', async () => {
  const h = await startHarness(newPersistentVolumeBinder);
  try {
    h.client.seed(PVCS, pvc('lonely', '1Gi', { storageClassName: '' }));
    await h.idle();
    assert.equal(claim(h, 'lonely').status?.phase, 'Pending');
    assert.ok(eventsOf(h.client).includes('Normal FailedBinding no persistent volumes available for this claim and no storage class is set'));
    // A volume made later is found for it.
    h.client.seed(PVS, pv('late', '1Gi'));
    await h.idle();
    assert.deepEqual([claim(h, 'lonely').status.phase, claim(h, 'lonely').spec.volumeName], ['Bound', 'late']);
  } finally {
    await h.stop();
  }
});

test('local-path: default class assigned, WaitForFirstConsumer, provisioned on the selected node, bound, deleted with its claim', async () => {
  const h = await startHarness(newPersistentVolumeBinder);
  try {
    h.client.seed(STORAGE_CLASSES, localPathStorageClass());
    h.client.seed(resources.nodes, { metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } } });
    h.client.seed(resources.pods, { metadata: { name: 'user', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] } });
    h.client.seed(PVCS, pvc('data', '2Gi'));
    await h.idle();
    let c = claim(h, 'data');
    assert.equal(c.spec.storageClassName, 'local-path', 'the default class, retroactively');
    assert.equal(c.status?.phase, 'Pending');
    assert.ok(eventsOf(h.client).includes('Normal WaitForPodScheduled waiting for pod user to be scheduled'));
    // The scheduler picks the node.
    await h.client.update(PVCS, 'default', { ...c, metadata: { ...c.metadata, annotations: { ...(c.metadata.annotations ?? {}), 'volume.kubernetes.io/selected-node': 'node-a' } } });
    await h.idle();
    c = claim(h, 'data');
    const name = `pvc-${c.metadata.uid}`;
    const v = volume(h, name)!;
    assert.ok(v, 'provisioned');
    assert.equal(v.spec.local.path, `/var/lib/portcullis/local-path-provisioner/${name}_default_data`);
    assert.deepEqual(v.spec.nodeAffinity.required.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-a'] }] }]);
    assert.equal(v.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(v.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'portcullis.dev/local-path');
    assert.equal(v.status.phase, 'Bound');
    assert.equal(c.metadata.annotations['volume.kubernetes.io/storage-provisioner'], 'portcullis.dev/local-path');
    assert.equal(c.spec.volumeName, name);
    assert.equal(c.status.phase, 'Bound');
    assert.ok(eventsOf(h.client).includes(`Normal ProvisioningSucceeded Successfully provisioned volume ${name} using portcullis.dev/local-path`));
    await h.client.delete(PVCS, 'default', 'data');
    await h.idle();
    assert.equal(volume(h, name), undefined, 'reclaimPolicy Delete');
  } finally {
    await h.stop();
  }
});

test('WaitForFirstConsumer without a consumer; an unknown class; an external provisioner; a class parameter the provisioner does not know', async () => {
  const h = await startHarness(newPersistentVolumeBinder);
  try {
    h.client.seed(STORAGE_CLASSES, localPathStorageClass());
    h.client.seed(STORAGE_CLASSES, { metadata: { name: 'ext' }, provisioner: 'example.com/nfs', volumeBindingMode: 'Immediate' });
    h.client.seed(STORAGE_CLASSES, { metadata: { name: 'odd' }, provisioner: 'portcullis.dev/local-path', parameters: { speed: 'fast' } });
    h.client.seed(resources.nodes, { metadata: { name: 'node-a' } });
    h.client.seed(PVCS, pvc('wait', '1Gi', { storageClassName: 'local-path' }));
    h.client.seed(PVCS, pvc('ghost', '1Gi', { storageClassName: 'missing' }));
    h.client.seed(PVCS, pvc('nfs', '1Gi', { storageClassName: 'ext' }));
    h.client.seed(PVCS, pvc('odd', '1Gi', { storageClassName: 'odd' }, { 'volume.kubernetes.io/selected-node': 'node-a' }));
    await h.idle();
    const events = eventsOf(h.client);
    assert.ok(events.includes('Normal WaitForFirstConsumer waiting for first consumer to be created before binding'), events.join('\n'));
    assert.ok(events.includes('Warning ProvisioningFailed storageclass.storage.k8s.io "missing" not found'));
    assert.ok(events.includes("Normal ExternalProvisioning Waiting for a volume to be created either by the external provisioner 'example.com/nfs' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."));
    assert.ok(events.includes('Warning ProvisioningFailed Failed to provision volume with StorageClass "odd": invalid option "speed" for volume plugin portcullis.dev/local-path'));
    assert.equal(claim(h, 'nfs').metadata.annotations['volume.kubernetes.io/storage-provisioner'], 'example.com/nfs');
    assert.equal(claim(h, 'odd').metadata.annotations['volume.kubernetes.io/selected-node'], undefined, 'given back to the scheduler');
    assert.deepEqual(h.client.stored<K8sObject>(PVS, ''), []);
  } finally {
    await h.stop();
  }
});

test('a bound claim whose volume is deleted is Lost', async () => {
  const h = await startHarness(newPersistentVolumeBinder);
  try {
    h.client.seed(PVS, pv('v1', '1Gi'));
    h.client.seed(PVCS, pvc('c1', '1Gi', { storageClassName: '' }));
    await h.idle();
    assert.equal(claim(h, 'c1').status.phase, 'Bound');
    await h.client.delete(PVS, '', 'v1');
    await h.idle();
    assert.equal(claim(h, 'c1').status.phase, 'Lost');
    assert.ok(eventsOf(h.client).includes('Warning ClaimLost Bound claim has lost its PersistentVolume. Data on the volume is lost!'));
  } finally {
    await h.stop();
  }
});

test('every 15 s (upstream\'s --pvclaimbinder-sync-period) each claim and volume is queued again, with no event', async () => {
  const added: string[] = [];
  const h = await startHarness((d) => {
    const add = d.queue.add.bind(d.queue);
    d.queue.add = (key: string) => (added.push(key), add(key));
    return newPersistentVolumeBinder(d);
  });
  try {
    h.client.seed(PVS, pv('v1', '1Gi', { storageClassName: 'manual' }));
    h.client.seed(PVCS, pvc('c1', '1Gi', { storageClassName: 'manual' }));
    await h.idle();
    assert.equal(claim(h, 'c1').status.phase, 'Bound');
    await h.advance(5_000);
    added.length = 0;
    await h.advance(9_000);
    assert.deepEqual(added, [], 'nothing before the period is over');
    await h.advance(1_000);
    assert.deepEqual(added.sort(), ['claim:default/c1', 'volume:v1']);
    added.length = 0;
    await h.advance(15_000);
    assert.deepEqual(added.sort(), ['claim:default/c1', 'volume:v1']);
  } finally {
    await h.stop();
  }
});

test('local-path reclaim: the volume\'s node agent removes its directory first (nodes/proxy DELETE /localPath/<pv>?uid=); a failure keeps the volume; a simulated node leaves it', async () => {
  const h = await startHarness(newPersistentVolumeBinder);
  try {
    const calls: string[] = [];
    (h.client as ApiClient).deletePath = async (path: string) => {
      calls.push(path);
      if (path.includes('pvc-down')) throw new ApiStatusError(500, 'InternalError', 'error dialing backend: connect ECONNREFUSED');
      if (path.includes('pvc-unused')) throw new ApiStatusError(404, 'NotFound', 'no local-path volume "pvc-unused" was made on this node');
    };
    h.client.seed(resources.nodes, { metadata: { name: 'agent-node', labels: { 'kubernetes.io/hostname': 'agent-host' } }, status: { nodeInfo: { kubeletVersion: 'v1.33.0+portcullis' } } });
    h.client.seed(resources.nodes, { metadata: { name: 'sim-node', labels: { 'kubernetes.io/hostname': 'sim-node' } }, status: { nodeInfo: { kubeletVersion: 'v1.33.0-sim' } } });
    const released = (name: string, host: string): K8sObject => ({
      metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': 'portcullis.dev/local-path' } },
      spec: {
        capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path', local: { path: `/lp/${name}` },
        claimRef: { namespace: 'default', name: 'gone', uid: 'claim-uid-gone' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } },
      },
    });
    for (const [name, host] of [['pvc-ok', 'agent-host'], ['pvc-down', 'agent-host'], ['pvc-unused', 'agent-host'], ['pvc-sim', 'sim-node']] as const) h.client.seed(PVS, released(name, host));
    const uid = volume(h, 'pvc-ok')!.metadata.uid;
    await h.idle();
    assert.ok(calls.includes(`/api/v1/nodes/agent-node/proxy/localPath/pvc-ok?uid=${uid}`), calls.join('\n'));
    assert.equal(volume(h, 'pvc-ok'), undefined, 'removed on its node, then deleted');
    assert.equal(volume(h, 'pvc-unused'), undefined, 'never made on its node: nothing to remove');
    assert.ok(volume(h, 'pvc-down'), 'its directory could not be removed: the volume stays');
    const events = eventsOf(h.client);
    assert.ok(events.includes('Warning VolumeFailedDelete failed to remove the directory of local-path volume "pvc-down": node agent-node: error dialing backend: connect ECONNREFUSED'), events.join('\n'));
    assert.equal(volume(h, 'pvc-sim'), undefined);
    assert.ok(events.includes('Warning VolumeDirectoryLeft the directory of local-path volume "pvc-sim" is not removed: node sim-node is not run by a Portcullis agent'), events.join('\n'));
    assert.ok(!calls.some((c) => c.includes('pvc-sim')));
  } finally {
    await h.stop();
  }
});
