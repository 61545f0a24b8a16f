/**
 * The node's pod network as a whole (root): the Node gets its podCIDR from the API, pods get
 * addresses in it, a Service and a NetworkPolicy written through the API take effect on the wire.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApiClient, fakeInformerFactory } from '../../src/cluster/client/fake.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { nodeCommandRunner } from '../../src/cluster/agent/network/ip-command.ts';
import { startNodeNetwork, type NodeNetwork } from '../../src/cluster/agent/network/node-network.ts';
import { NETWORK_POLICIES } from '../../src/cluster/netpol/enforcer.ts';
import { Namespaces } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

const skip = requireRoot('the node network') || requireBinaries('nftables', 'nft') || requireBinaries('iproute2', 'ip') || requireBinaries('util-linux', 'nsenter');
let ns: Namespaces;
let dir: string;
let net: NodeNetwork | undefined;
before(() => {
  if (skip) return;
  ns = new Namespaces();
  dir = mkdtempSync(join(tmpdir(), 'nodenet-'));
});
after(async () => {
  await net?.stop();
  ns?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('podCIDR from the Node, addresses for pods, a Service and a NetworkPolicy through the API', { skip }, async () => {
  const client = new FakeApiClient();
  await client.create(resources.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } } as never);
  for (const n of ['t1', 't2']) await client.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } } as never);
  const node = ns.add('pcnode');
  const starting = startNodeNetwork({ factory: fakeInformerFactory(client), nodeName: 'n1', run: nodeCommandRunner(node), stateDir: dir, clusterCIDR: '10.244.0.0/16', adminPolicies: false, dnsAddress: '', clusterDNS: ['10.96.0.10'], clusterDomain: 'corp.internal', log: { info() {}, error() {} } });
  // What the node IPAM controller does.
  await new Promise((r) => setTimeout(r, 50));
  await client.patch(resources.nodes, '', 'n1', 'merge', { spec: { podCIDR: '10.244.7.0/24', podCIDRs: ['10.244.7.0/24'] } });
  net = await starting;
  assert.equal(net.podCIDR, '10.244.7.0/24');

  const made: Record<string, { ip: string; host: ReturnType<Namespaces['prober']> }> = {};
  for (const [namespace, name, app] of [['t1', 'a', 'client'], ['t2', 'b', 'web']] as const) {
    const uid = `uid-${name}`;
    const podNs = ns.add(`pcpod${name}`);
    const [ip] = (await net.podNetwork.setUp({ uid, namespace, name }, `/var/run/netns/${podNs}`)).ips;
    await client.create(resources.pods, namespace, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid, labels: { app } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } } as never);
    made[name] = { ip: ip!, host: ns.prober(podNs, name, ip!) };
  }
  assert.match(made.a!.ip, /^10\.244\.7\./);
  await made.b!.host.listen([8080]);
  assert.equal(await made.a!.host.connect(made.b!.ip, 8080), true, 'pod to pod');

  await client.create(resources.services, 't2', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 't2' }, spec: { clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50'], ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }] } } as never);
  await client.create(resources.endpointslices, 't2', { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: 't2', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }], endpoints: [{ addresses: [made.b!.ip], conditions: { ready: true } }] } as never);
  await until('the Service answers', async () => (await made.a!.host.whoAnswers('10.96.0.50', 80)) === 'b');

  await client.create(NETWORK_POLICIES, 't2', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 't2' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } } as never);
  await until('the policy closes the Service\'s endpoint', async () => !(await made.a!.host.connect('10.96.0.50', 80, 300)));
  assert.equal(await made.a!.host.connect(made.b!.ip, 8080, 300), false, 'and the pod itself');

  // --cluster-dns and --cluster-domain (no DNS server of the node's here: dnsAddress '').
  assert.equal(net.resolvConf({ metadata: { namespace: 't1' }, spec: { containers: [] } }), 'search t1.svc.corp.internal svc.corp.internal corp.internal\nnameserver 10.96.0.10\noptions ndots:5\n');
  await net.podNetwork.tearDown({ uid: 'uid-a', namespace: 't1', name: 'a' });
});
