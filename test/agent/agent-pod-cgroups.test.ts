/**
 * The agent's pods in per-QoS and per-pod cgroups on runc (the kubelet's --cgroups-per-qos with the
 * cgroupfs driver), under the node's own cgroup parent: a Burstable pod's containers under
 * burstable/pod<uid>/ limited to the sum of their memory limits, a BestEffort pod's at 2 shares,
 * and each pod's cgroup gone once the pod is deleted. Needs root, runc and busybox-static: skipped
 * without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { CgroupLayout } from '../../src/cluster/agent/runtime/pod-cgroups.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { eventually, startAgentCluster, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('pod and QoS cgroups of the agent on runc');
const NODE = 'node-podcg';
const MI = 1024 * 1024;

describe('the agent\'s pod and QoS cgroups (runc)', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;
  let layout: CgroupLayout;

  before(async () => {
    ac = await startAgentCluster([]);
    node = await startRuncAgent(ac, NODE, { ownCgroupParent: true });
    layout = await CgroupLayout.read(node.cgroupParent!);
  });

  after(() => stopRuncAgent(node, ac));

  const v1 = () => !layout.unified;
  const file = (controller: 'cpu' | 'memory', rel: string, v1File: string, v2File: string) => readFileSync(`${layout.dir(controller, rel)}/${v1() ? v1File : v2File}`, 'utf8').trim();
  const running = async (name: string) => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
    return p.status?.phase === 'Running' && p;
  };
  /** The pod's containers' processes' cgroup paths (v1 memory hierarchy, or the unified one). */
  const containerCgroups = async (uid: string) => {
    const { containers } = await node.rt.list();
    return containers.filter((c) => c.pod.uid === uid && c.pid).map((c) => readFileSync(`/proc/${c.pid}/cgroup`, 'utf8').split('\n').find((l) => (v1() ? /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l) : l.startsWith('0::')))!.replace(/^\d+:[^:]*:/, ''));
  };

  test('the QoS tiers are there once the agent has started, before any pod', async () => {
    await eventually(async () => existsSync(layout.dir('cpu', 'besteffort')) && existsSync(layout.dir('cpu', 'burstable')), 'the QoS cgroups exist', 300, 100);
    assert.equal(file('cpu', 'besteffort', 'cpu.shares', 'cpu.weight'), v1() ? '2' : '1');
  });

  test('a Burstable pod runs in burstable/pod<uid>/, limited to the sum of its containers\' memory limits; deleted, its cgroup goes', async () => {
    const limits = { memory: '20Mi' };
    const pod = await ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'burst' },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 0,
        containers: [
          { name: 'a', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '10Mi' }, limits } },
          { name: 'b', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '200m' }, limits: { memory: '12Mi' } } },
        ],
      },
    });
    const uid = pod.metadata.uid!;
    await eventually(() => running('burst'), 'the pod runs', 600, 100);
    const rel = `burstable/pod${uid}`;
    const cgroups = await containerCgroups(uid);
    assert.equal(cgroups.length, 2);
    for (const cg of cgroups) assert.match(cg, new RegExp(`/${node.cgroupParent}/${rel}/[0-9a-f]+$`));
    assert.equal(file('memory', rel, 'memory.limit_in_bytes', 'memory.max'), String(32 * MI));
    // 300m of requests: 307 shares, for the pod and for the tier (the only Burstable pod).
    assert.equal(file('cpu', rel, 'cpu.shares', 'cpu.weight'), v1() ? '307' : '12');
    assert.equal(file('cpu', 'burstable', 'cpu.shares', 'cpu.weight'), v1() ? '307' : '12');

    await ac.admin.delete(resources.pods, 'default', 'burst', { gracePeriodSeconds: 0 });
    await eventually(async () => !layout.allDirs(rel).some((d) => existsSync(d)), 'the pod cgroup is removed from every hierarchy', 600, 100);
    await eventually(async () => file('cpu', 'burstable', 'cpu.shares', 'cpu.weight') === (v1() ? '2' : '1'), 'the tier\'s shares drop back', 300, 100);
  });

  test('a BestEffort pod runs in besteffort/pod<uid>/ at 2 shares; deleted, its cgroup goes', async () => {
    const pod = await ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'be' },
      spec: { nodeName: NODE, terminationGracePeriodSeconds: 0, containers: [{ name: 'a', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
    });
    const uid = pod.metadata.uid!;
    await eventually(() => running('be'), 'the pod runs', 600, 100);
    const rel = `besteffort/pod${uid}`;
    const [cg] = await containerCgroups(uid);
    assert.match(cg!, new RegExp(`/${node.cgroupParent}/${rel}/[0-9a-f]+$`));
    assert.equal(file('cpu', rel, 'cpu.shares', 'cpu.weight'), v1() ? '2' : '1');
    await ac.admin.delete(resources.pods, 'default', 'be', { gracePeriodSeconds: 0 });
    await eventually(async () => !layout.allDirs(rel).some((d) => existsSync(d)), 'the pod cgroup is removed from every hierarchy', 600, 100);
  });
});
