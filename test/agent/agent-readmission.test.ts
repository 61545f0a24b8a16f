/**
 * A restarted agent judges the pods it finds running again, as a restarted kubelet
 * (HandlePodAdditions: every pod through the admit handlers, in creation order). Here the rule
 * that changed between the two agents is the node's allocatable pods (--max-pods): the pods
 * created first keep running untouched, the newest is Failed with OutOfpods and its container
 * stopped. Once on the fake runtime (creation order against name order), once on runc (needs
 * root, runc and busybox-static: skipped without them, failed under PORTCULLIS_REQUIRE_ALL=1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { HOST, startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const MAX_PODS_2 = { ...HOST, allocatable: { ...HOST.allocatable, pods: '2' } };
const MAX_PODS_1 = { ...HOST, allocatable: { ...HOST.allocatable, pods: '1' } };
const REJECTED = (n: number) => `Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: ${n}, capacity: ${n}`;

let ac: AgentCluster;
before(async () => {
  ac = await startAgentCluster();
});
after(() => ac.close());

const getPod = (name: string) => ac.admin.get<K8sObject>(resources.pods, 'default', name);
const mkPod = (name: string, node: string, image: string, command?: string[]) =>
  ac.admin.create<K8sObject>(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image, imagePullPolicy: 'IfNotPresent', ...(command ? { command } : {}) }] } });
const running = (name: string) => eventually(async () => {
  const p = await getPod(name);
  return p.status?.phase === 'Running' && p;
}, `${name} Running`, 400, 100);
/** Waits into the next second, so the next pod's creationTimestamp (one-second resolution) is later. */
const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));

test('fake runtime: a restart with fewer allocatable pods refuses the newest pod, not the first by name', async () => {
  const statePath = join(ac.dir, 'ra-fake.json');
  const first = await ac.start('node-ra', { fake: { statePath } });
  // Created in this order; by name the last one would come first.
  for (const name of ['z-first', 'a-second', 'm-third']) {
    await mkPod(name, 'node-ra', 'example.test/x:1');
    await nextSecond();
  }
  const before = new Map<string, K8sObject>();
  for (const name of ['z-first', 'a-second', 'm-third']) before.set(name, await running(name));
  await first.agent.stop();

  const second = await ac.start('node-ra', { fake: { statePath }, host: MAX_PODS_2 });
  const third = await eventually(async () => {
    const p = await getPod('m-third');
    return p.status?.phase === 'Failed' && p;
  }, 'the newest pod Failed');
  assert.equal(third.status.reason, 'OutOfpods');
  assert.equal(third.status.message, REJECTED(2));
  assert.ok(third.status.containerStatuses?.[0]?.state?.terminated, 'its container reported terminated');
  const events = await eventually(async () => (await ac.admin.list<K8sObject>(resources.events, 'default')).items.filter((e) => e.involvedObject?.name === 'm-third' && e.reason === 'OutOfpods'), 'the rejection event');
  assert.equal(events[0]!.type, 'Warning');
  await second.agent.workers.whenIdle();
  const left = (await second.runtime.list()).containers.filter((c) => c.pod.name === 'm-third');
  assert.deepEqual(left.map((c) => c.state), ['exited'], 'its container was stopped');
  for (const name of ['z-first', 'a-second']) {
    const p = await getPod(name);
    assert.equal(p.status.phase, 'Running', name);
    assert.equal(p.status.containerStatuses[0].containerID, before.get(name)!.status.containerStatuses[0].containerID, `${name} kept its container`);
  }
  assert.equal(second.runtime.starts, 0, 'nothing started again');
});

const skip = requireRunc('the agent on runc');

describe('re-admission on runc', { skip }, () => {
  /** The node as it runs now: after the restart, the second agent and its runtime. */
  let node: RuncNode | undefined;

  after(() => stopRuncAgent(node));

  test('runc: a pod that no longer fits after the agent restarts is Failed and its container stopped; the other keeps running', async () => {
    node = await startRuncAgent(ac, 'node-ra-runc');
    for (const name of ['a-old', 'b-new']) await mkPod(name, 'node-ra-runc', BUSYBOX_IMAGE, ['sleep', '3600']);
    const old = await running('a-old');
    const doomed = await running('b-new');
    await node.agent.stop();
    node.rt.close();

    // The next agent: a new runtime over the same state and image store, one pod allowed.
    const { work, images } = node;
    const rt = new RuncRuntime({ stateRoot: join(work, 'runtime') });
    node = { ...node, rt };
    const second = await ac.start('node-ra-runc', { dataDir: work, runtime: rt, images, runtimeScheme: 'runc', host: MAX_PODS_1 });
    node = { ...node, agent: second.agent };
    const failed = await eventually(async () => {
      const p = await getPod('b-new');
      return p.status?.phase === 'Failed' && p;
    }, 'b-new Failed', 400, 100);
    assert.equal(failed.status.reason, 'OutOfpods');
    assert.equal(failed.status.message, REJECTED(1));
    const id = (p: K8sObject) => String(p.status.containerStatuses[0].containerID).slice('runc://'.length);
    assert.equal((await rt.containerStatus(id(doomed)))?.state, 'exited', 'its container was stopped');
    assert.equal(failed.status.containerStatuses[0].state.terminated?.exitCode, 137, 'killed: sleep as PID 1 ignores SIGTERM');

    await second.agent.workers.whenIdle();
    const kept = await getPod('a-old');
    assert.equal(kept.status.phase, 'Running');
    assert.equal(kept.status.containerStatuses[0].containerID, old.status.containerStatuses[0].containerID);
    assert.equal(kept.status.containerStatuses[0].restartCount, 0);
    assert.equal((await rt.containerStatus(id(old)))?.state, 'running', 'the earlier pod was not touched');
  });
});
