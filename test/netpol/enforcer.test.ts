/**
 * The node's NetworkPolicy enforcer driven by informers: what it renders and when (fake API), and
 * what the wire then allows (pods in network namespaces, root only).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../src/cluster/client/fake.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { NETWORK_POLICIES, NetpolEnforcer } from '../../src/cluster/netpol/enforcer.ts';
import { RoutedNode, type TestHost } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

const pod = (ns: string, name: string, ip: string, node: string, labels: Record<string, string>) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
});
const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const denyAll = (namespace: string) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });

async function setup(client: FakeApiClient) {
  for (const n of [ns('t1', { team: 'one' }), ns('t2', { team: 'two' })]) await client.create(resources.namespaces, '', n as never);
  for (const p of [pod('t1', 'a', '10.244.0.10', 'n1', { app: 'a' }), pod('t2', 'b', '10.244.0.11', 'n1', { app: 'b' }), pod('t2', 'c', '10.244.0.12', 'n1', { app: 'c' }), pod('t2', 'far', '10.244.1.5', 'n2', { app: 'b' })]) {
    await client.create(resources.pods, p.metadata.namespace, p as never);
  }
}

test('renders the whole table at start, only the selected local pods on a policy change, nothing on status noise', async () => {
  const client = new FakeApiClient();
  await setup(client);
  const scripts: string[] = [];
  const e = new NetpolEnforcer({ factory: fakeInformerFactory(client), nodeName: 'n1', podNetworks: ['10.244.0.0/16'], adminPolicies: false, apply: async (s) => void scripts.push(s) });
  await e.start();
  assert.equal(e.stats.fullRenders, 1);
  assert.match(scripts[0]!, /map ingress_pods \{[^}]*10\.244\.0\.11 comment "t2\/b" : jump p[0-9a-f]{12}_in/);
  assert.doesNotMatch(scripts[0]!, /10\.244\.1\.5 comment/, 'pods of other nodes get no chains here');

  await client.create(NETWORK_POLICIES, 't2', { ...denyAll('t2'), spec: { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress'] } } as never);
  await waitFor(() => e.stats.partialRenders === 1);
  await e.idle();
  const partial = scripts.at(-1)!;
  assert.doesNotMatch(partial, /^add chain inet portcullis_netpol p/m, 'pod chains are in the table already');
  assert.equal((partial.match(/^flush chain/gm) ?? []).length, 1, 'one pod (b), one direction: one pod chain re-pointed');
  const isolated = /^add chain inet portcullis_netpol (c_[0-9a-f]{16})\nadd rule inet portcullis_netpol \1 drop$/m.exec(partial)?.[1];
  assert.ok(isolated, 'a new chain that drops what nothing allows');
  assert.match(partial, new RegExp(`^add rule inet portcullis_netpol p[0-9a-f]{12}_in goto ${isolated}$`, 'm'), 'b is now isolated for ingress');
  assert.equal((partial.match(/ goto /g) ?? []).length, 1, 'c and the egress chains are left alone');

  // A status-only change (a condition) is no change to the model.
  const a = await client.get(resources.pods, 't1', 'a');
  const renders = scripts.length;
  await client.update(resources.pods, 't1', { ...a, status: { ...a.status, conditions: [{ type: 'Ready', status: 'True' }] } } as never, 'status');
  await new Promise((r) => setTimeout(r, 50));
  await e.idle();
  assert.equal(scripts.length, renders, 'no render for a status-only change');
  // A label change moves peers: everything again.
  const c = await client.get(resources.pods, 't2', 'c');
  await client.update(resources.pods, 't2', { ...c, metadata: { ...c.metadata, labels: { app: 'b' } } } as never);
  await waitFor(() => e.stats.fullRenders === 2);
  await e.idle();
  assert.equal(scripts.length, renders + 1);
  e.stop();
});

test('a failed load is retried with a full render; what was loaded stays', async () => {
  const client = new FakeApiClient();
  await setup(client);
  let fail = 1;
  const loaded: string[] = [];
  const e = new NetpolEnforcer({ factory: fakeInformerFactory(client), nodeName: 'n1', podNetworks: ['10.244.0.0/16'], adminPolicies: false, retryMs: 10, apply: async (s) => {
    if (fail-- > 0) throw new Error('nft: netlink error');
    loaded.push(s);
  }, log: { info() {}, error() {} } });
  await e.start();
  await waitFor(() => loaded.length === 1);
  assert.equal(e.stats.failures, 1);
  assert.match(loaded[0]!, /^delete table inet portcullis_netpol$/m);
  e.stop();
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const skip = requireRoot('nftables enforcement') || requireBinaries('nftables', 'nft') || requireBinaries('iproute2', 'ip');
let node: RoutedNode;
const hosts = new Map<string, TestHost>();
before(async () => {
  if (skip) return;
  node = new RoutedNode();
  for (const [k, ip] of [['t1/a', '10.244.0.10'], ['t2/b', '10.244.0.11'], ['t2/c', '10.244.0.12']] as const) {
    const h = node.addHost(k, ip);
    await h.listen([80, 8080]);
    hosts.set(k, h);
  }
});
after(() => node?.destroy());

test('on the wire: policies, labels and namespaces changed through the API govern new connections', { skip }, async () => {
  const client = new FakeApiClient();
  await setup(client);
  const e = new NetpolEnforcer({ factory: fakeInformerFactory(client), nodeName: 'n1', podNetworks: ['10.244.0.0/16'], adminPolicies: false, apply: async (s) => node.loadNftables(s) });
  await e.start();
  const a = hosts.get('t1/a')!;
  const c = hosts.get('t2/c')!;
  assert.equal(await a.connect('10.244.0.11', 80), true, 'no policy: open');
  await client.create(NETWORK_POLICIES, 't2', denyAll('t2') as never);
  await waitFor(() => e.stats.partialRenders >= 1);
  await e.idle();
  assert.equal(await a.connect('10.244.0.11', 80), false, 'default deny in t2');
  assert.equal(await c.connect('10.244.0.11', 80), false, 'also within t2');
  await client.create(NETWORK_POLICIES, 't2', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'from-team-one', namespace: 't2' }, spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'one' } } }], ports: [{ port: 'http' }] }] } } as never);
  await waitFor(() => e.stats.partialRenders >= 2);
  await e.idle();
  assert.equal(await a.connect('10.244.0.11', 8080), true, 'team one on the named port');
  assert.equal(await a.connect('10.244.0.11', 80), false);
  // Relabel t1: it is no longer team one.
  const t1 = await client.get(resources.namespaces, '', 't1');
  await client.update(resources.namespaces, '', { ...t1, metadata: { ...t1.metadata, labels: { team: 'other' } } } as never);
  await waitFor(() => e.stats.fullRenders >= 2);
  await e.idle();
  assert.equal(await a.connect('10.244.0.11', 8080), false, 'a namespace label change closes it');
  e.stop();
});
