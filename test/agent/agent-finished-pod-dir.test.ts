// A finished pod's directory on the node: its volumes go (a memory emptyDir must not hold the
// node's memory), but the directory and the termination message files stay until the pod is
// deleted, as the kubelet keeps /var/lib/kubelet/pods/<uid> (cleanupOrphanedPodDirs skips the pods
// it still has). So a restarted agent still reads a finished container's message. Fake runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeApiClient } from '../../src/cluster/client/fake.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { FakeImageService, FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';
import { PodSyncer } from '../../src/cluster/agent/pod-sync.ts';
import { PodManagedFiles } from '../../src/cluster/agent/pod-managed-files.ts';
import { VolumeManager } from '../../src/cluster/agent/volumes/volume-manager.ts';

const quiet = { warn() {}, info() {}, error() {} };

test("a finished pod keeps its directory and termination message files until deleted; its volumes go", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'finished-pod-dir-'));
  const root = join(dir, 'pods');
  const now = () => Date.parse('2026-01-01T00:00:00Z');
  const client = new FakeApiClient();
  const runtime = new FakeRuntime({ now });
  const seeded = client.seed<K8sObject>(resources.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job-0', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      nodeName: 'n', restartPolicy: 'Never', volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', volumeMounts: [{ name: 'scratch', mountPath: '/s' }] }],
    },
  }) as Pod;
  const uid = seeded.metadata!.uid!;
  let pods: Pod[] = [seeded];
  const agent = () => {
    const volumes = new VolumeManager({ root, client, hostIP: '10.0.0.1', allocatable: {}, onChange() {} });
    const managedFiles = new PodManagedFiles({ root, nodeHostname: () => 'n', log: quiet });
    const syncer = new PodSyncer({
      runtime, images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable: { cpu: '2', memory: '1Gi', pods: '110' },
      scheme: 'fake', now, pods: () => pods, requeueAfter() {}, log: quiet, volumes, managedFiles,
    });
    return { volumes, syncer };
  };
  const stored = () => client.stored<K8sObject>(resources.pods, 'default').find((x) => x.metadata.name === 'job-0') as unknown as Pod;
  let a = agent();
  try {
    await a.syncer.sync(seeded);
    const [c] = (await runtime.list()).containers;
    assert.ok(c, 'the container was created');
    const podDir = join(root, uid);
    const file = join(podDir, 'containers', 'c', '0');
    assert.ok(existsSync(file), 'its termination message file');
    assert.ok(existsSync(join(podDir, 'volumes')));
    writeFileSync(file, 'bye from c');
    runtime.exitContainer(c.id, 1);
    await a.syncer.sync(seeded);
    const failed = stored();
    assert.equal(failed.status?.phase, 'Failed');
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.terminated?.message, 'bye from c');

    // The finished pod's next sync: volumes torn down, the directory and its message file kept.
    pods = [failed];
    await a.syncer.sync(failed);
    assert.equal(existsSync(join(podDir, 'volumes')), false, 'the volumes are gone');
    assert.ok(existsSync(file), 'the termination message file stays while the pod exists');
    // The resync's orphan pass keeps it too: the pod still exists.
    assert.deepEqual(await a.volumes.cleanupOrphans((u) => u === uid), []);

    // An agent restart: the new agent (nothing cached) still reads the message.
    a.syncer.probes.stop();
    a.volumes.stop();
    a = agent();
    a.syncer.index.observe(await runtime.list());
    await a.syncer.sync(failed);
    const view = await a.syncer.view(uid);
    assert.equal(view.containers.find((x) => x.name === 'c')?.message, 'bye from c');

    // Deleted: everything goes.
    await a.syncer.terminate(failed, false);
    assert.equal(existsSync(podDir), false, 'the pod directory is removed with the pod');
  } finally {
    a.syncer.probes.stop();
    a.volumes.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
