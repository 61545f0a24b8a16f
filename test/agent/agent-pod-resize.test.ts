/**
 * In-place pod resize end to end on the fake runtime, through a real API server: a pods/resize
 * patch reaches the node agent, which updates the running container's cgroup settings without a
 * restart and reports them in status.containerStatuses[].resources; one the node cannot hold is
 * PodResizePending Infeasible and changes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import type { FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';
import { startAgentCluster, eventually, HOST, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
let runtime: FakeRuntime;

before(async () => {
  ac = await startAgentCluster();
  ({ runtime } = await ac.start('node-r', { host: { ...HOST, allocatable: { ...HOST.allocatable, cpu: '2', memory: '1Gi' } } }));
});
after(() => ac.close());

const getPod = (name: string) => ac.admin.get<K8sObject>(resources.pods, 'default', name);
const resize = (name: string, res: object) => ac.admin.patch<K8sObject>(resources.pods, 'default', name, 'strategic', { spec: { containers: [{ name: 'app', resources: res }] } }, 'resize');

test('pods/resize is applied by the node agent in place, and refused as Infeasible beyond the node', async () => {
  await ac.admin.create(resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'rs' },
    spec: { nodeName: 'node-r', containers: [{ name: 'app', image: 'example.test/app:1', resources: { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } } }] },
  });
  const running = await eventually(async () => {
    const p = await getPod('rs');
    return p.status?.containerStatuses?.[0]?.state?.running && p.status.containerStatuses[0].resources ? p : undefined;
  }, 'pod rs running with its resources reported');
  const id = String(running.status!.containerStatuses[0].containerID).replace('fake://', '');
  assert.deepEqual(running.status!.containerStatuses[0].resources, { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } });

  await resize('rs', { limits: { cpu: '300m', memory: '128Mi' } });
  const resized = await eventually(async () => {
    const p = await getPod('rs');
    return p.status?.containerStatuses?.[0]?.resources?.limits?.memory === '128Mi' ? p : undefined;
  }, 'the new limits reported');
  assert.deepEqual(resized.status!.containerStatuses[0].resources, { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '300m', memory: '128Mi' } });
  assert.equal(resized.status!.containerStatuses[0].restartCount, 0);
  assert.equal(resized.status!.containerStatuses[0].containerID, `fake://${id}`);
  assert.deepEqual(await runtime.containerResources(id), { cpu: { shares: 102, quota: 30000, period: 100000 }, memory: { limit: 128 * 1024 * 1024, swap: 128 * 1024 * 1024 } });

  await resize('rs', { requests: { memory: '2Gi' }, limits: { memory: '4Gi' } });
  const pending = await eventually(async () => {
    const p = await getPod('rs');
    return (p.status?.conditions ?? []).find((c: { type: string }) => c.type === 'PodResizePending');
  }, 'PodResizePending');
  assert.equal(pending.reason, 'Infeasible');
  assert.equal(pending.message, "Node didn't have enough capacity: memory, requested: 2147483648, capacity: 1073741824");
  assert.equal((await runtime.containerResources(id))!.memory!.limit, 128 * 1024 * 1024);
  assert.equal((await getPod('rs')).status!.containerStatuses[0].resources.limits.memory, '128Mi');
});
