/**
 * Memory held in memory-backed emptyDirs (tmpfs) on the real runtime (runc, a busybox image).
 *
 * A pod's init container fills a memory emptyDir with 140 MB and exits; its container sleeps. The
 * pages stay charged to the node's pods (the init container's cgroup, or its parent once that goes)
 * but to no running container, which is all the agent used to measure: under MemoryPressure the
 * quiet pod beside it (30 MB, more than a sleeping container) was evicted, and the hider stayed.
 * Now the pod counts at least what its memory volumes hold, so the hider goes; and its tmpfs goes
 * with it (a finished or evicted pod's volumes are torn down, as the kubelet's SyncTerminatedPod
 * waits for them to unmount), so the pressure ends and the quiet pod keeps running. A finished
 * pod's /dev/shm (up to 64 MiB) is unmounted with its sandbox, as containerd's StopPodSandbox does.
 *
 * The node reports 250Mi of memory (allocatableMemory.available is the pods' cgroup against it,
 * threshold 100Mi); the host's own memory is far from the threshold. Needs root, runc and
 * busybox-static: skipped without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startSmallMemoryNode, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('memory-backed emptyDirs under memory pressure on runc');
const NODE = 'node-memvol';

describe('memory-backed emptyDirs on runc', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;

  before(async () => {
    ({ ac, node } = await startSmallMemoryNode(NODE, { podVolumes: true, evictionPressureTransitionMs: 2000 }));
  });

  after(() => stopRuncAgent(node, ac));

  const condition = (n: K8sObject, type: string) => (n.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
  const phase = async (name: string) => (await ac.admin.get<K8sObject>(resources.pods, 'default', name)).status?.phase;
  /** The tmpfs mounts under the agent's directory of pod `uid`. */
  const tmpfsOf = (uid: string) => readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.startsWith('tmpfs ') && l.includes(`/pods/${uid}/volumes/`));
  /** The pods' /dev/shm tmpfs mounts on this node (each sandbox's). */
  const shmMounts = () => readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.startsWith('shm ') && l.includes(node.work));
  const memoryVolume = { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '160Mi' } };
  const mount = [{ name: 'data', mountPath: '/data' }];

  test('a finished pod\'s memory emptyDir is unmounted (its memory freed), not kept until the pod is deleted', async () => {
    const pod = await ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'done' },
      spec: { nodeName: NODE, restartPolicy: 'Never', volumes: [memoryVolume], containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['dd', 'if=/dev/zero', 'of=/data/f', 'bs=1000000', 'count=5'], volumeMounts: mount }] },
    });
    await eventually(async () => (await phase('done')) === 'Succeeded', 'the pod succeeds', 600, 100);
    await eventually(async () => tmpfsOf(pod.metadata.uid!).length === 0, 'its tmpfs is unmounted', 300, 100);
    assert.equal(await phase('done'), 'Succeeded');
    await ac.admin.delete(resources.pods, 'default', 'done', { gracePeriodSeconds: 0 });
  });

  test('a finished pod\'s /dev/shm is unmounted with its sandbox (as containerd\'s StopPodSandbox), not kept until the pod is deleted', async () => {
    await ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'shm' },
      spec: { nodeName: NODE, restartPolicy: 'Never', containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['dd', 'if=/dev/zero', 'of=/dev/shm/f', 'bs=1000000', 'count=5'] }] },
    });
    await eventually(async () => (await phase('shm')) === 'Succeeded', 'the pod succeeds', 600, 100);
    await eventually(async () => shmMounts().length === 0, 'its /dev/shm is unmounted', 300, 100);
    await ac.admin.delete(resources.pods, 'default', 'shm', { gracePeriodSeconds: 0 });
  });

  test('a pod whose init container filled a memory emptyDir is evicted under MemoryPressure, not the quiet pod beside it', async () => {
    const hider = await ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hider' },
      spec: {
        nodeName: NODE, volumes: [memoryVolume],
        initContainers: [{ name: 'fill', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['dd', 'if=/dev/zero', 'of=/data/f', 'bs=1000000', 'count=140'], volumeMounts: mount }],
        containers: [{ name: 'sleep', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], volumeMounts: mount }],
      },
    });
    // Its init container is done (no running container holds the 140 MB) before anything presses the node.
    await eventually(async () => (await phase('hider')) === 'Running', 'the hider runs', 600, 100);
    assert.notEqual(condition(await ac.admin.get<K8sObject>(resources.nodes, '', NODE), 'MemoryPressure')?.status, 'True', '140 MB alone leaves more than 100Mi');
    await ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'quiet' },
      // busybox awk holds a 30 MB string (touched, so resident) and then sleeps: more than a sleeping container.
      spec: { nodeName: NODE, containers: [{ name: 'quiet', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['awk', 'BEGIN { s = sprintf("%30000000s", ""); system("sleep 3600") }'] }] },
    });
    await eventually(async () => condition(await ac.admin.get<K8sObject>(resources.nodes, '', NODE), 'MemoryPressure')?.status === 'True', 'MemoryPressure=True', 600, 100);
    const p = await eventually(async () => {
      const x = await ac.admin.get<K8sObject>(resources.pods, 'default', 'hider');
      return x.status?.phase === 'Failed' && x;
    }, 'the hider is evicted', 600, 100);
    assert.equal(p.status.reason, 'Evicted');
    assert.match(p.status.message, /^The node was low on resource: memory\. /);
    await eventually(async () => tmpfsOf(hider.metadata.uid!).length === 0, 'the hider\'s tmpfs is unmounted', 300, 100);
    await eventually(async () => condition(await ac.admin.get<K8sObject>(resources.nodes, '', NODE), 'MemoryPressure')?.status === 'False', 'MemoryPressure=False', 600, 100);
    assert.equal(await phase('quiet'), 'Running', 'the quiet pod was never chosen');
    for (const name of ['hider', 'quiet']) await ac.admin.delete(resources.pods, 'default', name, { gracePeriodSeconds: 0 });
  });
});
