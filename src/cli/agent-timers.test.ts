import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKubeletConfig, withKubeletConfig } from '../cluster/agent/kubelet-config.ts';
import { agentTimers } from './agent-timers.ts';

const args = (flags: Record<string, string>) => ({ positional: [], flags: new Map(Object.entries(flags).map(([k, v]) => [k, [v]])) });
const HEAD = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';

test('the kubelet\'s defaults: resync 1m, status every 10s and reported every 5m, a 40 s Lease renewed every 10 s', () => {
  assert.deepEqual(agentTimers(args({})), { resyncMs: 60_000, statusUpdateMs: 10_000, statusReportMs: 300_000, leaseDurationSeconds: 40, leaseRenewMs: 10_000 });
});

test('the file\'s fields and the flags: the Lease renewed every quarter of its duration; a flag wins; zero and negative periods refused', () => {
  const file = parseKubeletConfig(`${HEAD}syncFrequency: 30s\nnodeStatusUpdateFrequency: 4s\nnodeLeaseDurationSeconds: 20\n`);
  assert.deepEqual(agentTimers({ positional: [], flags: withKubeletConfig(new Map(), file) }), { resyncMs: 30_000, statusUpdateMs: 4_000, statusReportMs: 4_000, leaseDurationSeconds: 20, leaseRenewMs: 5_000 });
  // --node-status-update-frequency on the command line does not move the report period (the kubelet defaults it from the file only).
  assert.deepEqual(agentTimers({ positional: [], flags: withKubeletConfig(new Map([['node-status-update-frequency', ['2s']]]), file) }).statusUpdateMs, 2_000);
  assert.equal(agentTimers(args({ 'node-status-update-frequency': '2s' })).statusReportMs, 300_000);
  assert.throws(() => agentTimers(args({ 'sync-frequency': '-1s' })), { message: 'invalid argument "-1s" for "--sync-frequency" flag: must not be negative' });
  assert.throws(() => agentTimers(args({ 'sync-frequency': '0s' })), { message: 'invalid argument "0s" for "--sync-frequency" flag: must be greater than 0' });
  assert.throws(() => agentTimers(args({ 'node-status-update-frequency': 'soon' })), /^Error: invalid argument "soon" for "--node-status-update-frequency" flag: /);
});
