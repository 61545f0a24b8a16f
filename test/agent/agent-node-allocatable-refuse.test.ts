/**
 * Node allocatable enforcement as the kubelet's setupNode: when the pods' cgroup cannot be made
 * with its limits the agent does not start (and so never registers its Node or runs a pod), as the
 * kubelet stops when it cannot create its kubepods cgroup; when it exists but the update fails, the
 * agent starts and retries the update (enforceNodeAllocatableCgroups), with Node Events. Fake
 * runtime; the create and update steps are injected.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { eventually, startAgentCluster, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
before(async () => {
  ac = await startAgentCluster();
});
after(() => ac.close());

const EBUSY = 'cannot enforce node allocatable: writing 83886080 to /sys/fs/cgroup/memory/portcullis/memory.limit_in_bytes: EBUSY';

async function nodeEvents(node: string): Promise<string[]> {
  return (await ac.admin.list<K8sObject>(resources.events, 'default')).items
    .filter((e) => e.involvedObject?.kind === 'Node' && e.involvedObject?.name === node && /NodeAllocatable/.test(e.reason ?? ''))
    .map((e) => `${e.type} ${e.reason} ${e.message}`);
}

test('an agent whose pods\' cgroup cannot be made refuses to start and registers no Node', async () => {
  const create = async () => {
    throw new Error(EBUSY);
  };
  await assert.rejects(ac.start('node-unlimited', { nodeAllocatable: { create, enforce: async () => {} } }), /cannot enforce node allocatable/);
  await assert.rejects(ac.admin.get(resources.nodes, '', 'node-unlimited'), (err: { status?: number; code?: number }) => (err.status ?? err.code) === 404);
});

test('an existing pods\' cgroup whose update fails: the agent starts, a Warning FailedNodeAllocatableEnforcement on its Node, the update retried', async () => {
  const enforce = async () => {
    throw new Error(EBUSY);
  };
  const { agent } = await ac.start('node-busy', { nodeAllocatable: { create: async () => {}, enforce, cgroupName: 'portcullis' } });
  assert.equal((await ac.admin.get(resources.nodes, '', 'node-busy')).metadata.name, 'node-busy');
  const events = await eventually(async () => {
    const e = await nodeEvents('node-busy');
    return e.length ? e : undefined;
  }, 'a FailedNodeAllocatableEnforcement Event');
  assert.deepEqual(events, [`Warning FailedNodeAllocatableEnforcement Failed to update Node Allocatable Limits ["portcullis"]: ${EBUSY}`]);
  await agent.stop();
});

test('with the limit set, the agent starts: created once before it registers, then NodeAllocatableEnforced', async () => {
  let created = 0;
  let enforced = 0;
  const { agent } = await ac.start('node-limited', { nodeAllocatable: { podsMemoryBytes: 80 * 1024 * 1024, create: async () => void created++, enforce: async () => void enforced++ } });
  assert.equal(created, 1);
  assert.equal((await ac.admin.get(resources.nodes, '', 'node-limited')).metadata.name, 'node-limited');
  const events = await eventually(async () => {
    const e = await nodeEvents('node-limited');
    return e.length ? e : undefined;
  }, 'a NodeAllocatableEnforced Event');
  assert.deepEqual(events, ['Normal NodeAllocatableEnforced Updated Node Allocatable limit across pods']);
  assert.equal(enforced, 1);
  await agent.stop();
});
