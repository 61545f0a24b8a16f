/**
 * A controller manager on the API server's own thread (as in tests and any control plane started
 * without componentsInWorker) mints one client certificate per controller. Each must be minted
 * without holding the event loop: the key is generated on libuv's thread pool, so the loop
 * turns while every identity is minted and the server keeps answering. Before, some thirty
 * identities were minted in one synchronous stretch on winning the Lease (3.5 s and more with no
 * request served).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { settleAcrossMacrotask } from '../helpers/settle-across-macrotask.ts';
import { controllerIdentity, mintClientIdentity, KUBE_CONTROLLER_MANAGER, type ComponentIdentity } from '../../src/cluster/client/identities.ts';
import { startControllerManager } from '../../src/cluster/controller-manager.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { CORE_CONTROLLERS, selectControllers } from '../../src/cluster/controllers/registry.ts';
import { discoveryFromRegistry } from '../../src/cluster/controllers/resource-discovery.ts';
import { kubernetesUserAgent } from '../../src/util/http/user-agent.ts';

let c: TestCluster;
before(async () => {
  // The cluster's own manager runs the core controllers without electing: the Lease is ours to win.
  c = await startTestCluster();
});
after(async () => {
  await c?.close();
});

test('minting every controller identity lets the event loop turn during each, and the leader starts them all', { timeout: 120_000 }, async (t) => {
  const spec = ['*', ...CORE_CONTROLLERS.map((n) => `-${n}`)];
  const selected = selectControllers(spec);
  const expected = new Set([KUBE_CONTROLLER_MANAGER.user, ...selected.map((d) => controllerIdentity(d.serviceAccount).user)]);

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();

  const ca = { certPem: c.cp.pki.caCertPem, keyPem: c.cp.pki.caKeyPem };
  const minted: { user: string; yielded: boolean }[] = [];
  const mintIdentity = async (id: ComponentIdentity) => {
    const { value, yielded } = await settleAcrossMacrotask(() => mintClientIdentity(ca, id, { now: new Date() }));
    minted.push({ user: id.user, yielded });
    return value;
  };
  const silent = { info() {}, warn() {}, error() {} };
  // Wired as the control plane wires its own (control-plane.ts), so every controller can start.
  const cm = await startControllerManager({ server: c.cp.url, mintIdentity, controllers: spec, leaderElection: { identity: 'minting-test', retryPeriodMs: 200 }, discovery: discoveryFromRegistry(c.cp.server.ctx.registry), rootCaPem: ca.certPem, clusterSigningCa: ca, log: silent });
  try {
    for (let i = 0; i < 600 && !(cm.isLeader() && cm.running().length === selected.length); i++) await new Promise((r) => setTimeout(r, 50));
    delay.disable();
    assert.ok(cm.isLeader(), 'the manager won the Lease');
    assert.deepEqual(cm.running().sort(), selected.map((d) => d.name).sort());

    // Each identity once, whatever number of controllers share a service account.
    assert.deepEqual(minted.map((m) => m.user).sort(), [...expected].sort());
    // A key generated on this thread would be ready before the loop moved on.
    const held = minted.filter((m) => !m.yielded).map((m) => m.user);
    assert.deepEqual(held, [], 'identities minted without the event loop turning');
    const who = await cm.clientOf('job-controller')!.create<K8sObject>({ group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false }, '', { metadata: {} });
    assert.equal(who.status.userInfo.username, 'system:serviceaccount:kube-system:job-controller');
    // As kube-controller-manager's SA client builder: AddUserAgent(config, the service account's username).
    assert.equal(cm.clientOf('job-controller')!.config.userAgent, kubernetesUserAgent('kube-controller-manager', 'system:serviceaccount:kube-system:job-controller'));
    // Reported, not asserted: the machine running the tests may be loaded.
    t.diagnostic(`${minted.length} identities; longest event-loop stall from the start to every controller running: ${Math.round(delay.max / 1e6)} ms`);
  } finally {
    delay.disable();
    await cm.stop();
  }
});
