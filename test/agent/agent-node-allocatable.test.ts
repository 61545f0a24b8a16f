/**
 * Node allocatable enforced on the pods' cgroup (--enforce-node-allocatable=pods) on the real
 * runtime (runc, a busybox image).
 *
 * The node has 1Gi of memory with --system-reserved=memory=944Mi: the pods' parent cgroup is
 * limited to 80Mi and allocatable is 80Mi. Each memory-backed emptyDir is sized to allocatable, so
 * one pod with two of them can try to hold 100 MB in tmpfs, which the OOM killer cannot free.
 * Without the limit that memory would come out of the node; with it the pod is OOM-killed (or its
 * write fails) at the limit, and the cgroup records that it hit it. The test uses a cgroup parent
 * of its own, so the limit does not touch other runc tests running beside it.
 * Needs root, runc and busybox-static: skipped without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { podsCgroupDirs } from '../../src/cluster/agent/runtime/cgroup-path.ts';
import { allocatableAmounts, capacityAmounts, format, podsCgroupAmounts, parseReserved } from '../../src/cluster/agent/runtime/node-allocatable.ts';
import { createPodsCgroup, enforcePodsCgroupLimits } from '../../src/cluster/agent/runtime/pods-cgroup-limits.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { HOST, startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { removeCgroupParent, BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('node allocatable enforced on the pods\' cgroup on runc');
const NODE = 'node-alloc';
const MI = 1024n * 1024n;
const PARENT = `portcullis-na-test-${process.pid}`;

describe('node allocatable enforced on the pods\' cgroup (runc)', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;
  let dirs: Awaited<ReturnType<typeof podsCgroupDirs>>;

  before(async () => {
    dirs = await podsCgroupDirs(PARENT);
    const capacity = capacityAmounts({ cpu: '2', memory: '1Gi' }, 10_000n);
    const systemReserved = parseReserved('system-reserved', 'memory=944Mi,pid=100');
    // No memory eviction threshold: the limit, not the eviction manager, is what this test is about.
    const evictionHard = { 'nodefs.available': '1%' };
    const limits = podsCgroupAmounts({ capacity, systemReserved });
    const left = allocatableAmounts({ capacity, systemReserved, evictionHard });
    ac = await startAgentCluster([]);
    node = await startRuncAgent(ac, NODE, {
      runtime: { cgroupParent: PARENT },
      agent: {
        podVolumes: true, evictionHard,
        host: { ...HOST, capacity: { ...HOST.capacity, cpu: '2', memory: '1Gi' }, allocatable: { ...HOST.allocatable, cpu: format('cpu', left.cpu!), memory: format('memory', left.memory!) } },
        nodeAllocatable: { podsMemoryBytes: Number(limits.memory), create: () => createPodsCgroup(limits, PARENT), enforce: () => enforcePodsCgroupLimits(limits, PARENT), cgroupName: PARENT },
      },
    });
  });

  after(async () => {
    await stopRuncAgent(node, ac);
    // The test's own parent cgroups (with the QoS tiers below them), empty once every container is
    // removed, in every hierarchy runc made them in (memory, cpu, pids, systemd, unified, devices, …).
    removeCgroupParent(PARENT);
    for (const d of dirs ? Object.values(dirs) : []) assert.ok(!existsSync(d), `${d} is removed`);
  });

  const memoryFile = (v1: string, v2: string) => ('unified' in dirs ? join(dirs.unified, v2) : join(dirs.memory, v1));

  test('the pods\' cgroup is limited at start to capacity less system-reserved, and allocatable says the same', async () => {
    assert.equal(readFileSync(memoryFile('memory.limit_in_bytes', 'memory.max'), 'utf8').trim(), String(80n * MI));
    if (!('unified' in dirs)) {
      assert.equal(readFileSync(join(dirs.cpu, 'cpu.shares'), 'utf8').trim(), '2048');
      assert.equal(readFileSync(join(dirs.pids, 'pids.max'), 'utf8').trim(), '9900');
    }
    const n = await eventually(async () => (await ac.admin.get<K8sObject>(resources.nodes, '', NODE).catch(() => undefined)) ?? false, 'the node registers', 300, 100);
    // 81920Ki as the agent writes it, in upstream's canonical form as the API server stores it.
    assert.equal(n.status.allocatable.memory, '80Mi');
    // The update after the create (enforceNodeAllocatableCgroups) succeeded: the kubelet's Event on the Node.
    await eventually(async () => (await ac.admin.list<K8sObject>(resources.events, 'default')).items.some((e) => e.involvedObject?.name === NODE && e.reason === 'NodeAllocatableEnforced' && e.message === 'Updated Node Allocatable limit across pods'), 'NodeAllocatableEnforced on the Node');
  });

  test('two memory emptyDirs of one pod cannot hold more than the limit: the writer fails instead of taking node memory', async () => {
    await ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'filler' },
      spec: {
        nodeName: NODE, restartPolicy: 'Never',
        volumes: [{ name: 'a', emptyDir: { medium: 'Memory' } }, { name: 'b', emptyDir: { medium: 'Memory' } }],
        containers: [{
          name: 'fill', image: IMAGE, imagePullPolicy: 'IfNotPresent',
          // 50 MB each: each fits its 80Mi tmpfs, together they are over the pods' 80Mi.
          command: ['sh', '-c', 'dd if=/dev/zero of=/a/f bs=1000000 count=50 && dd if=/dev/zero of=/b/f bs=1000000 count=50 && echo wrote-all'],
          volumeMounts: [{ name: 'a', mountPath: '/a' }, { name: 'b', mountPath: '/b' }],
        }],
      },
    });
    const pod = await eventually(async () => {
      const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'filler');
      return (p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') && p;
    }, 'the pod finishes', 900, 100);
    assert.equal(pod.status.phase, 'Failed', 'the 100 MB did not all fit');
    const term = pod.status.containerStatuses?.[0]?.state?.terminated;
    assert.ok(term && term.exitCode !== 0, `the writer failed: ${JSON.stringify(term)}`);
    // The cgroup hit its limit (v1 failcnt, v2 the max event count).
    const hits = 'unified' in dirs
      ? Number(/^max (\d+)$/m.exec(readFileSync(join(dirs.unified, 'memory.events'), 'utf8'))?.[1] ?? 0)
      : Number(readFileSync(join(dirs.memory, 'memory.failcnt'), 'utf8'));
    assert.ok(hits > 0, 'the pods\' cgroup reached its memory limit');
    const peak = Number(readFileSync(memoryFile('memory.max_usage_in_bytes', 'memory.peak'), 'utf8'));
    assert.ok(peak <= 80 * 1024 * 1024, `never over the limit (peak ${peak})`);
    await ac.admin.delete(resources.pods, 'default', 'filler', { gracePeriodSeconds: 0 });
  });
});
