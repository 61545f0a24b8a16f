import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentNodeStatus } from './node-status.ts';
import type { HostInfo } from './host-info.ts';

test('the Node says what the runtime does: no user namespaces, supplementalGroupsPolicy honoured', () => {
  const host = { capacity: {}, allocatable: {}, internalIP: '10.0.0.1', nodeInfo: {} } as unknown as HostInfo;
  const s = agentNodeStatus('n1', host, 0, 0);
  const none = { recursiveReadOnlyMounts: false, userNamespaces: false };
  assert.deepEqual(s['runtimeHandlers'], [{ name: '', features: none }, { name: 'runc', features: none }]);
  assert.deepEqual(s['features'], { supplementalGroupsPolicy: true });
  // Upstream's NodeStatus field order: runtimeHandlers, then features, last.
  assert.deepEqual(Object.keys(s).slice(-2), ['runtimeHandlers', 'features']);
});
