import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
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
