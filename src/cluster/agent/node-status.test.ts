import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentNodeStatus, syncAgentNodeStatus, type AgentNode } from './node-status.ts';
import type { ApiClient } from '../client/types.ts';
import type { HostInfo } from './host-info.ts';

type Conditions = Array<Record<string, string>>;

/** A Node 'n1' that holds the conditions it was last patched with; `patches`: every status written. */
function nodeClient(conditions: unknown): { client: ApiClient; patches: Array<Record<string, unknown>> } {
  let held = conditions as Conditions;
  const patches: Array<Record<string, unknown>> = [];
  const client = {
    get: async () => ({ metadata: { name: 'n1' }, status: { conditions: held } }),
    patch: async (_r: unknown, _ns: string, _n: string, _t: string, body: { status: Record<string, unknown> }) => {
      patches.push(body.status);
      held = body.status['conditions'] as Conditions;
      return {};
    },
  } as unknown as ApiClient;
  return { client, patches };
}

test('the Node says what the runtime does: no user namespaces, supplementalGroupsPolicy honoured', () => {
  const host = { capacity: {}, allocatable: {}, internalIP: '10.0.0.1', nodeInfo: {} } as unknown as HostInfo;
  const s = agentNodeStatus('n1', host, 0, 0);
  const none = { recursiveReadOnlyMounts: false, userNamespaces: false };
  assert.deepEqual(s['runtimeHandlers'], [{ name: '', features: none }, { name: 'runc', features: none }]);
  assert.deepEqual(s['features'], { supplementalGroupsPolicy: true });
  // Upstream's NodeStatus field order: runtimeHandlers, then features, last.
  assert.deepEqual(Object.keys(s).slice(-2), ['runtimeHandlers', 'features']);
});

test('DiskPressure: True with upstream reason and message under pressure; only a changed condition gets a new transition time', async () => {
  const host = { capacity: {}, allocatable: {}, internalIP: '10.0.0.1', nodeInfo: {} } as unknown as HostInfo;
  const disk = (s: Record<string, unknown>) => (s['conditions'] as Array<Record<string, string>>).find((c) => c.type === 'DiskPressure');
  assert.deepEqual(disk(agentNodeStatus('n1', host, 0, 0)), { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: '1970-01-01T00:00:00Z', lastTransitionTime: '1970-01-01T00:00:00Z' });
  const { client, patches } = nodeClient(agentNodeStatus('n1', host, 0, 0).conditions);
  const n: AgentNode = { name: 'n1', hasLease: true, since: 0, lastReport: 0 };
  const events: string[] = [];
  const record = (reason: string, message: string) => events.push(`${reason}: ${message}`);
  // Nothing changed within the report period: nothing written.
  assert.equal(await syncAgentNodeStatus(client, n, host, 5_000, 300_000, { disk: false }), false);
  assert.equal(await syncAgentNodeStatus(client, n, host, 10_000, 300_000, { disk: true }, record), true);
  assert.deepEqual(disk(patches[0]!), { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure', lastHeartbeatTime: '1970-01-01T00:00:10Z', lastTransitionTime: '1970-01-01T00:00:10Z' });
  const ready = (patches[0]!['conditions'] as Array<Record<string, string>>).find((c) => c.type === 'Ready');
  assert.equal(ready?.lastTransitionTime, '1970-01-01T00:00:00Z');
  // Still under pressure: no write; cleared: False again with a new transition time.
  assert.equal(await syncAgentNodeStatus(client, n, host, 20_000, 300_000, { disk: true }, record), false);
  assert.equal(await syncAgentNodeStatus(client, n, host, 30_000, 300_000, { disk: false }, record), true);
  assert.deepEqual(events, ['NodeHasDiskPressure: Node n1 status is now: NodeHasDiskPressure', 'NodeHasNoDiskPressure: Node n1 status is now: NodeHasNoDiskPressure']);
  assert.deepEqual(disk(patches[1]!)?.status, 'False');
  assert.deepEqual(disk(patches[1]!)?.lastTransitionTime, '1970-01-01T00:00:30Z');
});

test('MemoryPressure and PIDPressure: True with upstream reasons and messages, their NodeHas* events when they flip', async () => {
  const host = { capacity: {}, allocatable: {}, internalIP: '10.0.0.1', nodeInfo: {} } as unknown as HostInfo;
  const cond = (s: Record<string, unknown>, type: string) => {
    const c = (s['conditions'] as Array<Record<string, string>>).find((x) => x.type === type)!;
    return [c.status, c.reason, c.message];
  };
  const quiet = agentNodeStatus('n1', host, 0, 0);
  assert.deepEqual(cond(quiet, 'MemoryPressure'), ['False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available']);
  assert.deepEqual(cond(quiet, 'PIDPressure'), ['False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available']);
  const hot = agentNodeStatus('n1', host, 0, 0, { disk: false, memory: true, pid: true });
  assert.deepEqual(cond(hot, 'MemoryPressure'), ['True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available']);
  assert.deepEqual(cond(hot, 'PIDPressure'), ['True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available']);
  assert.deepEqual(cond(hot, 'DiskPressure')[0], 'False');
  const { client } = nodeClient(quiet.conditions);
  const n: AgentNode = { name: 'n1', hasLease: true, since: 0, lastReport: 0 };
  const events: string[] = [];
  const record = (reason: string) => events.push(reason);
  await syncAgentNodeStatus(client, n, host, 10_000, 300_000, { disk: false, memory: true }, record);
  await syncAgentNodeStatus(client, n, host, 20_000, 300_000, { disk: false, memory: false, pid: true }, record);
  await syncAgentNodeStatus(client, n, host, 30_000, 300_000, { disk: false }, record);
  assert.deepEqual(events, ['NodeHasInsufficientMemory', 'NodeHasSufficientMemory', 'NodeHasInsufficientPID', 'NodeHasSufficientPID']);
});
