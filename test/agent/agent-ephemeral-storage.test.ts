/**
 * ephemeral-storage limits on the real runtime (runc, a busybox image): a container writing past
 * its limit into its writable layer is evicted by the agent's eviction manager as the kubelet's
 * (phase Failed, reason Evicted, upstream's message, an Evicted event, no DisruptionTarget
 * condition), while a pod writing within its limit keeps running. Needs root, runc and
 * busybox-static: skipped without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('ephemeral-storage eviction on runc');
const NODE = 'node-es';

describe('ephemeral-storage limits on runc', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;

  before(async () => {
    ac = await startAgentCluster();
    // Checked every 300 ms rather than the kubelet's 10 s, so the test is short.
    node = await startRuncAgent(ac, NODE, { agent: { podVolumes: true, evictionMonitoringMs: 300 } });
  });

  after(() => stopRuncAgent(node, ac));

  /** `writer` (2Mi) writes `kib` KiB into its writable layer; `idle` (8Mi) raises the pod's total to 10Mi. */
  const pod = (name: string, kib: number) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      nodeName: NODE, terminationGracePeriodSeconds: 30,
      containers: [{
        name: 'writer', image: IMAGE, imagePullPolicy: 'IfNotPresent', resources: { limits: { 'ephemeral-storage': '2Mi' } },
        command: ['sh', '-c', `dd if=/dev/zero of=/data.bin bs=1024 count=${kib} && echo written && exec sleep 3600`],
      }, { name: 'idle', image: IMAGE, imagePullPolicy: 'IfNotPresent', resources: { limits: { 'ephemeral-storage': '8Mi' } }, command: ['sleep', '3600'] }],
    },
  });

  test('a container writing past its 2Mi limit ends Failed/Evicted with upstream message; one within it keeps running', async () => {
    await ac.admin.create(resources.pods, 'default', pod('within', 512));
    await ac.admin.create(resources.pods, 'default', pod('hog', 3072));
    const p = await eventually(async () => {
      const x = await ac.admin.get<K8sObject>(resources.pods, 'default', 'hog');
      return x.status?.phase === 'Failed' && x;
    }, 'the pod is evicted', 600, 100);
    // The pod (3Mi of 10Mi) is within its total: the container's own limit is what it is over.
    const msg = 'Container writer exceeded its local ephemeral storage limit "2Mi". ';
    assert.equal(p.status.reason, 'Evicted');
    assert.equal(p.status.message, msg);
    assert.ok(!(p.status.conditions ?? []).some((c: K8sObject) => c.type === 'DisruptionTarget'), 'upstream sets no DisruptionTarget for local-storage evictions');
    assert.ok(p.status.containerStatuses.every((c: K8sObject) => c.state.terminated), 'its containers were killed');
    const events = await ac.admin.list<K8sObject>(resources.events, 'default', { fieldSelector: 'involvedObject.name=hog' });
    assert.ok(events.items.some((e) => e.reason === 'Evicted' && e.type === 'Warning' && e.message === msg), events.items.map((e) => `${e.reason}: ${e.message}`).join(' | '));
    // The other pod wrote 512Ki: still running after several passes.
    const within = await eventually(async () => {
      const x = await ac.admin.get<K8sObject>(resources.pods, 'default', 'within');
      return x.status?.phase === 'Running' && x;
    }, 'the pod within its limit runs', 600, 100);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await ac.admin.get<K8sObject>(resources.pods, 'default', 'within')).status.phase, 'Running', within.metadata.name);
    for (const name of ['hog', 'within']) await ac.admin.delete(resources.pods, 'default', name, { gracePeriodSeconds: 0 });
  });

  test('a pod writing 3Mi into its /etc/hosts or its termination log (the pod directory, not its layer) is evicted for its 2Mi total', async () => {
    // /etc/hosts as upstream counts it (CVE-2020-8557); the termination log beyond upstream (kubernetes/kubernetes#122224).
    for (const [name, file] of [['hosts-hog', '/etc/hosts'], ['tlog-hog', '/dev/termination-log']]) {
      await ac.admin.create(resources.pods, 'default', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name },
        spec: {
          nodeName: NODE, terminationGracePeriodSeconds: 30,
          containers: [{
            name: 'writer', image: IMAGE, imagePullPolicy: 'IfNotPresent', resources: { limits: { 'ephemeral-storage': '2Mi' } },
            command: ['sh', '-c', `dd if=/dev/zero of=${file} bs=1024 count=3072 && echo written && exec sleep 3600`],
          }],
        },
      });
    }
    for (const name of ['hosts-hog', 'tlog-hog']) {
      const p = await eventually(async () => {
        const x = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
        return x.status?.phase === 'Failed' && x;
      }, `${name} is evicted`, 600, 100);
      assert.equal(p.status.reason, 'Evicted');
      assert.equal(p.status.message, 'Pod ephemeral local storage usage exceeds the total limit of containers 2Mi. ');
      await ac.admin.delete(resources.pods, 'default', name, { gracePeriodSeconds: 0 });
    }
  });
});
