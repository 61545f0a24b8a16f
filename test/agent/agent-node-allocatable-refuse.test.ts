/**
 * Node allocatable enforcement fails closed: when the pods' cgroup cannot be limited the agent does
 * not start (and so never registers its Node or runs a pod), as the kubelet stops when it cannot
 * create its kubepods cgroup. Fake runtime; the enforcement step is injected.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import { startAgentCluster, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
before(async () => {
  ac = await startAgentCluster();
});
after(() => ac.close());

test('an agent whose pods\' cgroup cannot be limited refuses to start and registers no Node', async () => {
  const enforce = async () => {
    throw new Error('cannot enforce node allocatable: writing 83886080 to /sys/fs/cgroup/memory/portcullis/memory.limit_in_bytes: EBUSY');
  };
  await assert.rejects(ac.start('node-unlimited', { nodeAllocatable: { enforce } }), /cannot enforce node allocatable/);
  await assert.rejects(ac.admin.get(resources.nodes, '', 'node-unlimited'), (err: { status?: number; code?: number }) => (err.status ?? err.code) === 404);
});

test('with the limit set, the agent starts: enforced once, before it registers', async () => {
  let enforced = 0;
  const { agent } = await ac.start('node-limited', { nodeAllocatable: { podsMemoryBytes: 80 * 1024 * 1024, enforce: async () => void enforced++ } });
  assert.equal(enforced, 1);
  assert.equal((await ac.admin.get(resources.nodes, '', 'node-limited')).metadata.name, 'node-limited');
  await agent.stop();
});
