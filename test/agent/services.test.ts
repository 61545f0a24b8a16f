/**
 * Services on the wire (root): the node's nftables service table DNATs a ClusterIP and a NodePort
 * to the ready endpoints of the Service's EndpointSlices, balances connections, keeps ClientIP
 * affinity, and refuses a Service without ready endpoints at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderServices, serviceRules } from '../../src/cluster/agent/network/services.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { RoutedNode, type TestHost } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

const svc = (name: string, clusterIP: string, extra: Record<string, unknown> = {}): K8sObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'web' },
  spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }], ...extra },
});
const slice = (service: string, endpoints: Array<{ ip: string; ready?: boolean; node?: string }>): K8sObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${service}-x`, namespace: 'web', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true }, ...(e.node ? { nodeName: e.node } : {}) })),
} as K8sObject);

test('rules: ready endpoints only, ports by name, headless and ExternalName skipped', () => {
  const rules = serviceRules(
    [svc('a', '10.96.0.10'), svc('headless', 'None'), { ...svc('ext', ''), spec: { type: 'ExternalName', externalName: 'x.example' } }],
    [slice('a', [{ ip: '10.244.0.12' }, { ip: '10.244.0.11' }, { ip: '10.244.0.13', ready: false }]), slice('headless', [{ ip: '10.244.0.11' }])],
  );
  assert.deepEqual(rules.map((r) => [r.id, r.endpoints.map((e) => `${e.ip}:${e.port}`)]), [['web/a:http', ['10.244.0.11:8080', '10.244.0.12:8080']]]);
});

test('traffic policies: Local keeps ClusterIP (internal) or NodePort (external) traffic on this node\'s endpoints', () => {
  const eps = [{ ip: '10.244.0.11', node: 'n1' }, { ip: '10.244.0.12', node: 'n2' }];
  const ids = (xs?: Array<{ ip: string }>) => xs?.map((e) => e.ip);
  const [cluster] = serviceRules([svc('a', '10.96.0.10', { type: 'NodePort' })], [slice('a', eps)], 'n1');
  assert.deepEqual([ids(cluster!.endpoints), cluster!.nodePortEndpoints], [['10.244.0.11', '10.244.0.12'], undefined], 'Cluster: everything, one set');
  const [ext] = serviceRules([svc('a', '10.96.0.10', { type: 'NodePort', externalTrafficPolicy: 'Local' })], [slice('a', eps)], 'n1');
  assert.deepEqual([ids(ext!.endpoints), ids(ext!.nodePortEndpoints), ext!.nodePortLocal], [['10.244.0.11', '10.244.0.12'], ['10.244.0.11'], true]);
  const [int] = serviceRules([svc('a', '10.96.0.10', { type: 'NodePort', internalTrafficPolicy: 'Local' })], [slice('a', eps)], 'n2');
  assert.deepEqual([ids(int!.endpoints), ids(int!.nodePortEndpoints)], [['10.244.0.12'], ['10.244.0.11', '10.244.0.12']], 'NodePort traffic follows externalTrafficPolicy (Cluster) only');
  const [none] = serviceRules([svc('a', '10.96.0.10', { type: 'NodePort', externalTrafficPolicy: 'Local' })], [slice('a', eps)], 'n3');
  assert.match(renderServices([none!]), /fib daddr type local tcp dport 30080 drop/, 'no local endpoint: external traffic is dropped');
});

const skip = requireRoot('the service proxy') || requireBinaries('nftables', 'nft') || requireBinaries('iproute2', 'ip');
let node: RoutedNode;
let client: TestHost;
let ext: TestHost;
before(async () => {
  if (skip) return;
  node = new RoutedNode();
  client = node.addHost('client', '10.244.0.10');
  const b1 = node.addHost('b1', '10.244.0.11');
  const b2 = node.addHost('b2', '10.244.0.12');
  ext = node.addHost('ext', '192.0.2.10');
  for (const b of [b1, b2]) await b.listen([8080]);
});
after(() => node?.destroy());

async function answers(from: TestHost, ip: string, port: number, n: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const who = (await from.whoAnswers(ip, port)) ?? 'nobody';
    out.set(who, (out.get(who) ?? 0) + 1);
  }
  return out;
}

test('a ClusterIP balances over the ready endpoints; a NodePort reaches them from outside', { skip }, async () => {
  node.loadNftables(renderServices(serviceRules([svc('a', '10.96.0.10', { type: 'NodePort' })], [slice('a', [{ ip: '10.244.0.11' }, { ip: '10.244.0.12' }])])));
  const seen = await answers(client, '10.96.0.10', 80, 30);
  assert.deepEqual([...seen.keys()].sort(), ['b1', 'b2'], `both backends answer: ${JSON.stringify([...seen])}`);
  assert.equal(await ext.whoAnswers('169.254.1.1', 30080).then((w) => (w === 'b1' || w === 'b2' ? 'ok' : w)), 'ok', 'NodePort on the node\'s address');
});

test('an endpoint that is not ready gets nothing; ClientIP affinity sticks; no endpoints refuses', { skip }, async () => {
  node.loadNftables(renderServices(serviceRules([svc('a', '10.96.0.10')], [slice('a', [{ ip: '10.244.0.11', ready: false }, { ip: '10.244.0.12' }])])));
  assert.deepEqual([...(await answers(client, '10.96.0.10', 80, 10)).keys()], ['b2']);
  node.loadNftables(renderServices(serviceRules([svc('a', '10.96.0.10', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })], [slice('a', [{ ip: '10.244.0.11' }, { ip: '10.244.0.12' }])])));
  assert.equal((await answers(client, '10.96.0.10', 80, 12)).size, 1, 'one client, one backend');
  node.loadNftables(renderServices(serviceRules([svc('a', '10.96.0.10')], [slice('a', [])])));
  const t0 = Date.now();
  assert.equal(await client.connect('10.96.0.10', 80, 3000), false);
  assert.ok(Date.now() - t0 < 2000, 'refused, not left to time out');
});

test('externalTrafficPolicy Local: the NodePort reaches only this node\'s endpoint, and nothing when there is none; internalTrafficPolicy Local likewise for the ClusterIP', { skip }, async () => {
  // b1 is on this node (n1), b2 on another: both are routed here, so only the rules decide.
  const eps = [{ ip: '10.244.0.11', node: 'n1' }, { ip: '10.244.0.12', node: 'n2' }];
  node.loadNftables(renderServices(serviceRules([svc('a', '10.96.0.10', { type: 'NodePort', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local' })], [slice('a', eps)], 'n1')));
  assert.deepEqual([...(await answers(ext, '169.254.1.1', 30080, 12)).keys()], ['b1'], 'NodePort: the local endpoint only');
  assert.deepEqual([...(await answers(client, '10.96.0.10', 80, 12)).keys()], ['b1'], 'ClusterIP with internalTrafficPolicy Local: the local endpoint only');
  node.loadNftables(renderServices(serviceRules([svc('a', '10.96.0.10', { type: 'NodePort', externalTrafficPolicy: 'Local' })], [slice('a', eps)], 'n3')));
  assert.equal(await ext.connect('169.254.1.1', 30080, 1000), false, 'no local endpoint: the NodePort takes nothing');
  assert.deepEqual([...(await answers(client, '10.96.0.10', 80, 30)).keys()].sort(), ['b1', 'b2'], 'the ClusterIP (internalTrafficPolicy Cluster) still balances over all');
});

test('rules: legacy IPv4 forms the API accepts (leading zeros, IPv4-mapped) reach the ruleset canonical, read as decimal as kube-proxy does', () => {
  const rules = serviceRules([svc('legacy', '010.096.000.010'), svc('mapped', '::ffff:10.96.0.11'), svc('v6', 'fd00::10')], [slice('legacy', [{ ip: '010.244.000.012' }, { ip: '10.244.0.12' }, { ip: '::ffff:10.244.0.13' }])]);
  assert.deepEqual(rules.map((r) => [r.id, r.clusterIPs, r.endpoints.map((e) => e.ip)]), [
    ['web/legacy:http', ['10.96.0.10'], ['10.244.0.12', '10.244.0.13']],
    ['web/mapped:http', ['10.96.0.11'], []],
  ]);
  const text = renderServices(rules);
  assert.doesNotMatch(text, /010\.|::ffff/);
});

test("rules: one IPv4 ClusterIP per Service, the one ipFamilies names, as kube-proxy's GetClusterIPByFamily", () => {
  // A second IPv4 entry (validation now refuses it; a Service stored before may hold one: the
  // kubernetes Service's address, another Service's, an outside one) is not DNATed.
  const stored = svc('two', '10.96.0.20', { clusterIPs: ['10.96.0.20', '10.96.0.1'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'PreferDualStack' });
  const v6first = svc('v6first', 'fd00::20', { clusterIPs: ['fd00::20', '10.96.0.21'], ipFamilies: ['IPv6', 'IPv4'] });
  const rules = serviceRules([stored, v6first], []);
  assert.deepEqual(rules.map((r) => [r.id, r.clusterIPs]), [['web/two:http', ['10.96.0.20']], ['web/v6first:http', ['10.96.0.21']]]);
});
