import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCluster } from '../helpers/cluster.ts';
import { startSimCluster, type SimCluster } from '../helpers/sim-cluster.ts';
import { kubectlSkip } from '../helpers/kubectl.ts';
import { kubectlSession, until } from '../helpers/kubectl-session.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';

/**
 * Volumes through kubectl 1.33 on three simulated nodes: the default local-path StorageClass
 * `portcullis up` creates, a StatefulSet's volumeClaimTemplates provisioned on the nodes the
 * scheduler picks (WaitForFirstConsumer), a static local PersistentVolume drawing its pod to its
 * node, a volume node affinity conflict, and reclaim on claim deletion.
 */
const MINOR = 33;
const NS = 'vol';
let c: TestCluster;
let cluster: SimCluster | undefined;

const skip = kubectlSkip(MINOR);

before(async () => {
  if (skip) return;
  cluster = await startSimCluster({ count: 3, leaseRenewMs: 2_000 });
  ({ c } = cluster);
});
after(async () => {
  await cluster?.close();
});

const { kubectl, json } = kubectlSession(MINOR, () => c.cp.kubeconfigPath);

const events = async (name: string): Promise<K8sObject[]> => (await json(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${name}`])).items;

describe('kubectl 1.33: volumes on simulated nodes', { skip }, () => {
  test('the default StorageClass is local-path, WaitForFirstConsumer', async () => {
    const out = (await kubectl(['get', 'storageclass'])).stdout;
    assert.match(out, /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE/m);
    assert.match(out, /^local-path \(default\)\s+portcullis\.dev\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+/m);
    await kubectl(['create', 'namespace', NS]);
  });

  test('StatefulSet volumeClaimTemplates: claims made, provisioned on the pods\' nodes, bound; reclaimed when deleted', async () => {
    await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: db, namespace: ${NS}}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${NS}}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: postgres
        image: postgres
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`);
    await kubectl(['rollout', 'status', 'statefulset/db', '-n', NS, '--timeout=90s'], undefined, 100_000);
    const claims = (await json(['get', 'pvc', '-n', NS])).items as K8sObject[];
    assert.deepEqual(claims.map((x) => x.metadata.name).sort(), ['data-db-0', 'data-db-1']);
    for (const claim of claims) {
      const ordinal = claim.metadata.name!.slice('data-db-'.length);
      const pod = await json(['get', 'pod', `db-${ordinal}`, '-n', NS]);
      assert.equal(claim.status.phase, 'Bound');
      assert.equal(claim.spec.storageClassName, 'local-path', 'the default class');
      assert.equal(claim.metadata.annotations['volume.kubernetes.io/selected-node'], pod.spec.nodeName);
      assert.equal(claim.metadata.annotations['volume.kubernetes.io/storage-provisioner'], 'portcullis.dev/local-path');
      assert.equal(claim.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
      assert.equal(claim.spec.volumeName, `pvc-${claim.metadata.uid}`);
      const pv = await json(['get', 'pv', claim.spec.volumeName]);
      assert.equal(pv.status.phase, 'Bound');
      assert.equal(pv.spec.local.path, `/var/lib/portcullis/local-path-provisioner/${pv.metadata.name}_${NS}_${claim.metadata.name}`);
      assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: 'kubernetes.io/hostname', operator: 'In', values: [pod.spec.nodeName] });
      assert.deepEqual([pv.spec.claimRef.name, pv.spec.claimRef.uid], [claim.metadata.name, claim.metadata.uid]);
      const ev = (await events(claim.metadata.name!)).map((e) => `${e.reason}: ${e.message}`);
      assert.ok(ev.includes(`ProvisioningSucceeded: Successfully provisioned volume ${pv.metadata.name} using portcullis.dev/local-path`), ev.join('\n'));
    }
    const table = (await kubectl(['get', 'pvc', '-n', NS])).stdout;
    assert.match(table, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE/m);
    assert.match(table, /^data-db-0\s+Bound\s+pvc-[0-9a-f-]+\s+1Gi\s+RWO\s+local-path\s+<unset>\s+/m);
    // The claims outlive the set (whenDeleted: Retain); deleting them reclaims the volumes (Delete).
    const volumes = claims.map((x) => x.spec.volumeName as string);
    await kubectl(['delete', 'statefulset', 'db', '-n', NS]);
    await kubectl(['delete', 'pvc', 'data-db-0', 'data-db-1', '-n', NS]);
    await until('volumes reclaimed', async () => {
      const left = ((await json(['get', 'pv'])).items as K8sObject[]).filter((v) => volumes.includes(v.metadata.name!));
      return left.length === 0 ? true : undefined;
    });
  });

  test('a static local volume brings its pod to its node; a bound volume on a missing node is a volume node affinity conflict', async () => {
    const node = (await json(['get', 'nodes'])).items[1].metadata.name as string;
    await kubectl(['apply', '-f', '-'], `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-storage}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: disk-a}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-storage
  local: {path: /mnt/disks/a}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${node}]}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: disk-gone}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: local-storage
  local: {path: /mnt/disks/b}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [no-such-node]}]
  claimRef: {namespace: ${NS}, name: stranded}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: cache, namespace: ${NS}}
spec: {accessModes: [ReadWriteOnce], storageClassName: local-storage, resources: {requests: {storage: 2Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: stranded, namespace: ${NS}}
spec: {accessModes: [ReadWriteOnce], storageClassName: local-storage, resources: {requests: {storage: 2Gi}}, volumeName: disk-gone}
---
apiVersion: v1
kind: Pod
metadata: {name: user, namespace: ${NS}}
spec:
  containers: [{name: c, image: busybox}]
  volumes: [{name: v, persistentVolumeClaim: {claimName: cache}}]
---
apiVersion: v1
kind: Pod
metadata: {name: lost, namespace: ${NS}}
spec:
  containers: [{name: c, image: busybox}]
  volumes: [{name: v, persistentVolumeClaim: {claimName: stranded}}]
`);
    const pod = await until('user scheduled', async () => {
      const p = await json(['get', 'pod', 'user', '-n', NS]);
      return p.spec.nodeName ? p : undefined;
    });
    assert.equal(pod.spec.nodeName, node);
    const claim = await json(['get', 'pvc', 'cache', '-n', NS]);
    assert.deepEqual([claim.status.phase, claim.spec.volumeName, claim.status.capacity.storage], ['Bound', 'disk-a', '5Gi']);
    const message = '0/3 nodes are available: 3 node(s) had volume node affinity conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    const ev = await until('FailedScheduling of lost', async () => (await events('lost')).find((e) => e.reason === 'FailedScheduling' && e.message === message));
    assert.equal(ev.type, 'Warning');
    const described = (await kubectl(['describe', 'pvc', 'stranded', '-n', NS])).stdout;
    assert.match(described, /Status:\s+Bound/);
    assert.match(described, /Volume:\s+disk-gone/);
    // Retain: the claim's deletion releases the volume and keeps it.
    await kubectl(['delete', 'pod', 'user', '-n', NS, '--wait=false']);
    await kubectl(['delete', 'pvc', 'cache', '-n', NS, '--wait=false']);
    await until('disk-a Released', async () => ((await json(['get', 'pv', 'disk-a'])).status.phase === 'Released' ? true : undefined));
  });
});
