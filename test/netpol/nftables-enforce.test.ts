/**
 * The data plane does what the analysis says: pods in network namespaces routed by a node
 * namespace whose forward hook carries the rendered nftables table; every TCP connection between
 * them (and to external hosts) is opened for real and compared with the model's answer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyModel } from '../../src/cluster/netpol/compile.ts';
import { renderNftables, renderPodUpdates } from '../../src/cluster/netpol/nftables.ts';
import { probeTcp, type ProbeEndpoint } from '../../src/cluster/netpol/probe.ts';
import { cidrToSet } from '../../src/cluster/netpol/ipv4.ts';
import type { NamespaceInfo, PodInfo, PolicyInput } from '../../src/cluster/netpol/types.ts';
import { RoutedNode, type TestHost } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

const skip = requireRoot('nftables enforcement') || requireBinaries('nftables', 'nft') || requireBinaries('iproute2', 'ip');
const PORTS = [80, 7000, 8080, 9090];

const pod = (ns: string, name: string, ip: string, labels: Record<string, string>, ports: PodInfo['ports'] = []): PodInfo => ({ key: `${ns}/${name}`, namespace: ns, name, labels, ports, owner: { kind: 'Pod', name }, ips: [ip] });
const pods = [
  pod('t1', 'a', '10.244.0.10', { app: 'a' }),
  pod('t2', 'b', '10.244.0.11', { app: 'b' }, [{ name: 'http', containerPort: 8080 }]),
  pod('t2', 'c', '10.244.0.12', { app: 'c' }),
  pod('t3', 'd', '10.244.0.13', { app: 'd' }),
];
const namespaces = new Map<string, NamespaceInfo>(['t1', 't2', 't3'].map((n) => [n, { name: n, labels: { 'kubernetes.io/metadata.name': n, tenant: n === 't3' ? 'platform' : 'user' } }]));
const EXTERNAL = [{ name: 'ext-in', ip: '192.0.2.10' }, { name: 'ext-out', ip: '192.0.2.200' }];

const basePolicies = (): PolicyInput => ({
  networkPolicies: [
    // Tenant t2: default deny ingress; b takes tenant t1 on its named port only; c takes t1 on everything.
    { metadata: { name: 'deny', namespace: 't2' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    { metadata: { name: 'b-http', namespace: 't2' }, spec: { podSelector: { matchLabels: { app: 'b' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 't1' } } }], ports: [{ port: 'http' }] }] } },
    { metadata: { name: 'c-all', namespace: 't2' }, spec: { podSelector: { matchLabels: { app: 'c' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 't1' } } }] }] } },
    // Pod a: egress to t2 and to 192.0.2.0/24 except the upper half.
    { metadata: { name: 'a-out', namespace: 't1' }, spec: { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 't2' } } }, { ipBlock: { cidr: '192.0.2.0/24', except: ['192.0.2.128/25'] } }] }] } },
  ],
  // The platform denies port 7000 into user tenants from anywhere in the cluster; a tenant's policy cannot reopen it.
  adminNetworkPolicies: [{ metadata: { name: 'no-7000' }, spec: { priority: 10, subject: { namespaces: { matchLabels: { tenant: 'user' } } }, ingress: [{ name: 'deny-7000', action: 'Deny', from: [{ namespaces: {} }], ports: [{ portNumber: { port: 7000, protocol: 'TCP' } }] }] } }],
});

let node: RoutedNode;
const hosts = new Map<string, TestHost>();

before(async () => {
  if (skip) return;
  node = new RoutedNode();
  for (const p of pods) hosts.set(p.key, node.addHost(p.key, p.ips[0]!));
  for (const e of EXTERNAL) hosts.set(e.name, node.addHost(e.name, e.ip));
  for (const h of hosts.values()) await h.listen(PORTS);
});
after(() => node?.destroy());

function endpoints(model: PolicyModel): ProbeEndpoint[] {
  return [
    ...pods.map((p) => ({ label: p.key, ip: p.ips[0]!, peer: { kind: 'pod' as const, pod: p }, policy: model.policyFor(p) })),
    ...EXTERNAL.map((e) => ({ label: e.name, ip: e.ip, peer: { kind: 'ip' as const, block: cidrToSet(`${e.ip}/32`)! } })),
  ];
}

/** Full render, or (with `changed`) only the chains of the pods the changed policies select. */
async function enforceAndProbe(policies: PolicyInput, changed?: Array<Record<string, unknown>>) {
  const model = new PolicyModel({ pods, namespaces, policies });
  const opts = { podNetworks: ['10.244.0.0/16'], allPods: pods };
  if (changed) {
    const affected = [...new Set(changed.flatMap((np) => model.selectedBy(np)))];
    assert.ok(affected.length > 0 && affected.length < pods.length, 'a partial update touches some pods, not all');
    node.loadNftables(renderPodUpdates(model, affected, opts).script);
  } else node.loadNftables(renderNftables(model, pods, opts).script);
  const eps = endpoints(model);
  return probeTcp(eps, eps, PORTS, (src, ip, port) => hosts.get(src.peer.kind === 'pod' ? src.peer.pod.key : src.label)!.connect(ip, port));
}

test('every connection the data plane allows is one the analysis allows, and no other', { skip }, async () => {
  const { results, differences } = await enforceAndProbe(basePolicies());
  assert.deepEqual(differences, []);
  const ok = (src: string, dst: string, port: number) => results.find((r) => r.src === src && r.dst === dst && r.port === port)!.actual;
  // The cases the issue names, seen on the wire:
  assert.equal(ok('t1/a', 't2/b', 8080), true, 'named port resolved per pod opens');
  assert.equal(ok('t1/a', 't2/b', 80), false, 'default deny blocks the rest');
  assert.equal(ok('t3/d', 't2/b', 8080), false, 'namespaceSelector keeps another tenant out');
  assert.equal(ok('t1/a', 't2/c', 9090), true);
  assert.equal(ok('t1/a', 't2/c', 7000), false, 'the AdminNetworkPolicy Deny wins over the tenant allow');
  assert.equal(ok('t1/a', 'ext-in', 80), true, 'egress to the ipBlock');
  assert.equal(ok('t1/a', 'ext-out', 80), false, 'egress to the except range is blocked');
  assert.equal(ok('t1/a', 't3/d', 80), false, 'egress policy of a limits it to t2 and the block');
  assert.equal(ok('ext-in', 't3/d', 80), true, 'unprotected pods take anything');
});

test('a policy change governs new connections at once (partial update of the selected pods only)', { skip }, async () => {
  await enforceAndProbe(basePolicies());
  const p = basePolicies();
  // Open b to tenant t3 on port 80 as well.
  const open = { metadata: { name: 'b-from-t3', namespace: 't2' }, spec: { podSelector: { matchLabels: { app: 'b' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { tenant: 'platform' } } }], ports: [{ port: 80 }] }] } };
  p.networkPolicies.push(open);
  const { results, differences } = await enforceAndProbe(p, [open]);
  assert.deepEqual(differences, []);
  assert.equal(results.find((r) => r.src === 't3/d' && r.dst === 't2/b' && r.port === 80)!.actual, true);
  // And back, deleting it.
  const again = await enforceAndProbe(basePolicies(), [open]);
  assert.deepEqual(again.differences, []);
  assert.equal(again.results.find((r) => r.src === 't3/d' && r.dst === 't2/b' && r.port === 80)!.actual, false);
});

test('AdminNetworkPolicy Pass and the BaselineAdminNetworkPolicy on the wire agree with the analysis', { skip }, async () => {
  const p = basePolicies();
  // Lower precedence than no-7000: t1's traffic into user tenants skips the rest of the admin layer.
  p.adminNetworkPolicies.push({ metadata: { name: 'pass-t1' }, spec: { priority: 20, subject: { namespaces: { matchLabels: { tenant: 'user' } } }, ingress: [{ name: 'pass', action: 'Pass', from: [{ namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 't1' } } }] }, { name: 'deny-80', action: 'Deny', from: [{ namespaces: {} }], ports: [{ portNumber: { port: 80, protocol: 'TCP' } }] }] } });
  // The baseline: nothing from t2 on 9090, for pods no NetworkPolicy selects.
  p.baselineAdminNetworkPolicy = { metadata: { name: 'default' }, spec: { subject: { namespaces: {} }, ingress: [{ name: 'no-9090-from-t2', action: 'Deny', from: [{ namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 't2' } } }], ports: [{ portNumber: { port: 9090, protocol: 'TCP' } }] }] } };
  const { results, differences } = await enforceAndProbe(p);
  assert.deepEqual(differences, []);
  const ok = (src: string, dst: string, port: number) => results.find((r) => r.src === src && r.dst === dst && r.port === port)!.actual;
  assert.equal(ok('t2/c', 't3/d', 9090), false, 'the baseline denies where no NetworkPolicy selects the pod');
  assert.equal(ok('t2/c', 't3/d', 8080), true, 'and leaves the rest open');
  assert.equal(ok('t1/a', 't2/c', 9090), true, 'Pass hands t1 to the NetworkPolicy layer, which allows it');
  assert.equal(ok('t1/a', 't2/c', 80), true, 'Pass comes before the lower-precedence Deny of port 80');
  assert.equal(ok('t1/a', 't2/c', 7000), false, 'the higher-precedence Deny still wins');
});
