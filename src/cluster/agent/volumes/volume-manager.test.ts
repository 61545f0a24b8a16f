import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { tokenVolumeSource } from '../../../admission/plugins/service-account.ts';
import { requireRoot } from '../../../../test/helpers/real-parts.ts';
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { FakeApiClient } from '../../client/fake.ts';
import { resources } from '../../client/resources.ts';
import { CreateContainerConfigError } from '../env.ts';
import { VolumeManager, VolumeSetUpError } from './volume-manager.ts';

// Disk-only volumes: no mounts, so this runs without root.
test('volume manager: set-up, mounts, watched updates, refusals, tear-down and orphans', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-'));
  const client = new FakeApiClient();
  const changed: string[] = [];
  const vm = new VolumeManager({ root: join(dir, 'pods'), client, hostIP: '10.0.0.1', allocatable: {}, onChange: (uid) => changed.push(uid), syncWaitMs: 5_000 });
  try {
    client.seed(resources.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' }, data: { k: 'one' } });
    mkdirSync(join(dir, 'host'));
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'uid-1' },
      spec: {
        volumes: [
          { name: 'cm', configMap: { name: 'cm', defaultMode: 0o440 } },
          { name: 'scratch', emptyDir: {} },
          { name: 'host', hostPath: { path: join(dir, 'host'), type: 'Directory' } },
          { name: 'nfs', nfs: { server: 'x', path: '/' } },
        ],
        containers: [{ name: 'c', image: 'i', volumeMounts: [{ name: 'cm', mountPath: '/cm' }, { name: 'scratch', mountPath: '/s' }, { name: 'host', mountPath: '/h', readOnly: true }] }],
      },
    };
    await assert.rejects(vm.setUp(pod), (e: unknown) => e instanceof VolumeSetUpError && e.failures.length === 1 && e.failures[0]!.volume === 'nfs' && e.failures[0]!.message === 'volume type nfs is not supported by this node agent');
    const podDir = join(dir, 'pods', 'uid-1');
    assert.equal(readFileSync(join(podDir, 'volumes/kubernetes.io~configmap/cm/k'), 'utf8'), 'one');
    assert.equal(statSync(join(podDir, 'volumes/kubernetes.io~configmap/cm/k')).mode & 0o777, 0o440);
    assert.equal(statSync(join(podDir, 'volumes/kubernetes.io~empty-dir/scratch')).mode & 0o777, 0o777);

    const mounts = await vm.mountsFor(pod, pod.spec!.containers[0]!, []);
    assert.deepEqual(mounts.map((m) => [m.containerPath, m.readOnly]), [['/cm', true], ['/s', false], ['/h', true]]);
    assert.equal(mounts[2]!.hostPath, join(dir, 'host'));
    await assert.rejects(vm.mountsFor(pod, { name: 'x', volumeMounts: [{ name: 'nfs', mountPath: '/n' }] }, []), (e: unknown) => e instanceof CreateContainerConfigError && /cannot find volume "nfs" to mount into container "x"/.test((e as Error).message));
    await assert.rejects(vm.mountsFor(pod, { name: 'x', volumeMounts: [{ name: 'scratch', mountPath: '/s', mountPropagation: 'Bidirectional' }] }, []), /mountPropagation Bidirectional .* not supported/);

    // The configMap's watch: an update is a change for the pod, and the next set-up writes it.
    changed.length = 0;
    await client.update(resources.configmaps, 'ns', { ...client.stored(resources.configmaps, 'ns')[0]!, data: { k: 'two' } });
    for (let i = 0; i < 100 && !changed.includes('uid-1'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(changed.includes('uid-1'), 'the pod is told');
    await vm.setUp({ ...pod, spec: { ...pod.spec!, volumes: pod.spec!.volumes!.filter((v) => v.name !== 'nfs') } });
    assert.equal(readFileSync(join(podDir, 'volumes/kubernetes.io~configmap/cm/k'), 'utf8'), 'two');

    // A missing configMap, and an optional one.
    const other: Pod = { metadata: { name: 'q', namespace: 'ns', uid: 'uid-2' }, spec: { containers: [], volumes: [{ name: 'a', configMap: { name: 'nope' } }, { name: 'b', configMap: { name: 'nope', optional: true } }] } };
    await assert.rejects(vm.setUp(other), (e: unknown) => e instanceof VolumeSetUpError && e.failures.length === 1 && e.failures[0]!.message === 'configmap "nope" not found');
    assert.ok(existsSync(join(dir, 'pods/uid-2/volumes/kubernetes.io~configmap/b')));

    // uid-3 (no pod set up here, not kept by the caller) is an orphan; uid-1 is kept, then torn down.
    await vm.tearDown('uid-2');
    mkdirSync(join(dir, 'pods', 'uid-3', 'volumes'), { recursive: true });
    assert.deepEqual(await vm.cleanupOrphans((uid) => uid === 'uid-1'), ['uid-3']);
    assert.ok(!existsSync(join(dir, 'pods/uid-3')));
    assert.ok(!existsSync(join(dir, 'pods/uid-2')));
    await vm.tearDown('uid-1');
    assert.ok(!existsSync(podDir));
    assert.ok(existsSync(join(dir, 'host')), 'a hostPath is never removed');
    assert.equal(vm.objects.size, 0, 'no watches are left');
  } finally {
    vm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('projected token and secret on tmpfs: fsGroup and fsUser ownership, the token rewritten when it is due', { skip: requireRoot('tmpfs volumes') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-'));
  const fake = new FakeApiClient();
  let t = Date.parse('2024-01-01T00:00:00Z');
  let n = 0;
  // The fake client models no TokenRequest: this one answers it as the API server would.
  const client = Object.assign(Object.create(fake) as ApiClient, {
    async postSubresource(_r: unknown, _ns: string, _name: string, sub: string, body: K8sObject) {
      assert.equal(sub, 'token');
      return { status: { token: `token-${++n}`, expirationTimestamp: new Date(t + body.spec.expirationSeconds * 1000).toISOString() } };
    },
  });
  const vm = new VolumeManager({ root: join(dir, 'pods'), client, hostIP: '10.0.0.1', allocatable: {}, onChange() {}, now: () => t, random: () => 0, syncWaitMs: 5_000 });
  try {
    fake.seed(resources.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'ns' }, data: { 'ca.crt': 'PEM' } });
    fake.seed(resources.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data: { k: Buffer.from('v').toString('base64') } });
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'uid-t' },
      spec: {
        serviceAccountName: 'sa', securityContext: { fsGroup: 2000, runAsUser: 1000 },
        volumes: [{ name: 'kube-api-access-x', projected: tokenVolumeSource() as never }, { name: 's', secret: { secretName: 's', defaultMode: 0o400 } }],
        containers: [{ name: 'c', image: 'i' }],
      },
    };
    await vm.setUp(pod);
    const vol = join(dir, 'pods/uid-t/volumes');
    const token = join(vol, 'kubernetes.io~projected/kube-api-access-x/token');
    assert.equal(readFileSync(token, 'utf8'), 'token-1');
    // 0600 for the token with fsGroup, then g+r from the ownership walk (upstream: 0640), owned by the pod's user.
    assert.equal(statSync(token).mode & 0o7777, 0o640);
    assert.equal(statSync(token).uid, 1000);
    assert.equal(statSync(token).gid, 2000);
    assert.equal(statSync(join(vol, 'kubernetes.io~projected/kube-api-access-x/ca.crt')).mode & 0o7777, 0o644);
    const secret = join(vol, 'kubernetes.io~secret/s/k');
    assert.equal(statSync(secret).mode & 0o7777, 0o440);
    assert.equal(statSync(secret).gid, 2000);

    t += 2000 * 1000;
    await vm.setUp(pod);
    assert.equal(readFileSync(token, 'utf8'), 'token-1', 'not due yet');
    t += 1000 * 1000; // past 80 % of 3607 s
    await vm.setUp(pod);
    assert.equal(readFileSync(token, 'utf8'), 'token-2', 'refreshed and rewritten');
    await vm.tearDown('uid-t');
    assert.ok(!existsSync(join(dir, 'pods/uid-t')));
  } finally {
    await vm.tearDown('uid-t');
    vm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('emptyDir: permissions and fsGroup are set once, never again over what the containers wrote', { skip: requireRoot('fsGroup ownership') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-'));
  const vm = new VolumeManager({ root: join(dir, 'pods'), client: new FakeApiClient(), hostIP: '10.0.0.1', allocatable: {}, onChange: () => undefined });
  try {
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'uid-e' }, spec: { securityContext: { fsGroup: 2000 }, volumes: [{ name: 'scratch', emptyDir: {} }], containers: [] } };
    await vm.setUp(pod);
    const vol = join(dir, 'pods/uid-e/volumes/kubernetes.io~empty-dir/scratch');
    assert.equal(statSync(vol).gid, 2000, 'the fresh volume is given to fsGroup');
    // What a container writes afterwards, a symlink out of the volume among it.
    writeFileSync(join(vol, 'f'), 'x', { mode: 0o600 });
    chmodSync(join(vol, 'f'), 0o600);
    chownSync(join(vol, 'f'), 0, 0); // the setgid directory gave it fsGroup: a container may change that
    const outside = join(dir, 'outside');
    writeFileSync(outside, 'host', { mode: 0o600 });
    chmodSync(outside, 0o600);
    symlinkSync(outside, join(vol, 'link'));
    await vm.setUp(pod);
    assert.deepEqual([statSync(join(vol, 'f')).gid, statSync(join(vol, 'f')).mode & 0o7777], [0, 0o600], 'the next sync does not walk the volume again');
    assert.deepEqual([statSync(outside).gid, statSync(outside).mode & 0o7777], [0, 0o600]);
  } finally {
    vm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a claim is used only when its volume names it back (claimRef UID), as the kubelet checks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-'));
  const client = new FakeApiClient();
  const vm = new VolumeManager({ root: join(dir, 'pods'), client, hostIP: '10.0.0.1', allocatable: {}, onChange: () => undefined });
  try {
    mkdirSync(join(dir, 'data'));
    client.seed(resources.persistentvolumeclaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'mine', namespace: 'ns', uid: 'claim-uid' }, spec: { volumeName: 'pv' }, status: { phase: 'Bound' } });
    const claimUid = String(client.stored(resources.persistentvolumeclaims, 'ns')[0]!.metadata.uid); // the fake gives its own
    const pv = (claimRef?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { hostPath: { path: join(dir, 'data') }, ...(claimRef && { claimRef }) } });
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'uid-c' }, spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'mine' } }], containers: [] } };
    const failure = async () => (await vm.setUp(pod).then(() => 'set up', (e: VolumeSetUpError) => e.failures[0]!.message));
    client.seed(resources.persistentvolumes, pv());
    assert.equal(await failure(), 'found PV object "pv" but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim');
    await client.update(resources.persistentvolumes, '', pv({ namespace: 'other', name: 'theirs', uid: 'other-uid' }));
    assert.equal(await failure(), `found PV object "pv" but its pv.Spec.ClaimRef.UID ("other-uid") does not point to claim.UID (${JSON.stringify(claimUid)})`);
    await client.update(resources.persistentvolumes, '', pv({ namespace: 'ns', name: 'mine', uid: claimUid }));
    assert.equal(await failure(), 'set up');
  } finally {
    vm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a claim's volume is made and used only on a node its node affinity selects (the kubelet's checkNodeAffinity)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-'));
  const client = new FakeApiClient();
  let node: K8sObject = { metadata: { name: 'b', labels: { 'kubernetes.io/hostname': 'b' } } };
  const vm = new VolumeManager({ root: join(dir, 'pods'), client, hostIP: '10.0.0.1', allocatable: {}, onChange: () => undefined, node: () => node });
  try {
    client.seed(resources.persistentvolumeclaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'ns' }, spec: { volumeName: 'pv' }, status: { phase: 'Bound' } });
    const claimUid = String(client.stored(resources.persistentvolumeclaims, 'ns')[0]!.metadata.uid);
    const path = join(dir, 'local-path', 'pv');
    client.seed(resources.persistentvolumes, {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv', annotations: { 'pv.kubernetes.io/provisioned-by': 'portcullis.dev/local-path' } },
      spec: { local: { path }, claimRef: { namespace: 'ns', name: 'data', uid: claimUid }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['a'] }] }] } } },
    });
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'uid-n' }, spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }], containers: [] } };
    await assert.rejects(vm.setUp(pod), (e: unknown) => e instanceof VolumeSetUpError && e.failures[0]!.message === 'NodeAffinity check failed: no matching NodeSelectorTerms');
    assert.equal(existsSync(path), false, 'node a\'s directory is not made on node b');
    node = { metadata: { name: 'a', labels: { 'kubernetes.io/hostname': 'a' } } };
    await vm.setUp(pod);
    assert.ok(existsSync(path));
    assert.deepEqual(vm.claimVolumes('uid-n'), [{ name: 'd', claimName: 'data', path, source: 'local' }], 'the lookup /stats/summary reads');
    assert.deepEqual(vm.claimVolumes('uid-other'), []);
  } finally {
    vm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a local-path volume is recorded for removal only when this node makes its directory under the provisioner\'s name for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-'));
  const client = new FakeApiClient();
  const vm = new VolumeManager({ root: join(dir, 'pods'), client, hostIP: '10.0.0.1', allocatable: {}, onChange: () => undefined });
  try {
    client.seed(resources.persistentvolumeclaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'ns' }, spec: { volumeName: 'pv' }, status: { phase: 'Bound' } });
    const claimUid = String(client.stored(resources.persistentvolumeclaims, 'ns')[0]!.metadata.uid);
    const pv = (path: string) => ({
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv', uid: 'pv-uid', annotations: { 'pv.kubernetes.io/provisioned-by': 'portcullis.dev/local-path' } },
      spec: { local: { path }, claimRef: { namespace: 'ns', name: 'data', uid: claimUid } },
    });
    const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'uid-r' }, spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }], containers: [] } };
    const record = join(dir, 'local-path-volumes', 'pv.json');
    // A directory that is already there (here: one of the host's) is used but never recorded.
    const existing = join(dir, 'host-data');
    mkdirSync(existing);
    client.seed(resources.persistentvolumes, pv(existing));
    await vm.setUp(pod);
    assert.equal(existsSync(record), false, 'an existing directory is not recorded');
    // A new directory under another name than the provisioner's is made, not recorded.
    await client.update(resources.persistentvolumes, '', pv(join(dir, 'local-path', 'other')));
    await vm.setUp(pod);
    assert.ok(existsSync(join(dir, 'local-path', 'other')));
    assert.equal(existsSync(record), false, 'a directory not named <pv>_<ns>_<claim> is not recorded');
    // The provisioner's own directory, made here, is recorded.
    const own = join(dir, 'local-path', 'pv_ns_data');
    await client.update(resources.persistentvolumes, '', pv(own));
    await vm.setUp(pod);
    assert.ok(existsSync(own));
    assert.deepEqual(JSON.parse(readFileSync(record, 'utf8')).path, own);
  } finally {
    vm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
