/**
 * Two node agents on one machine, end to end (root, runc, busybox): each keeps its node's network
 * in a network namespace of its own, the two joined by an underlay link the test makes, so traffic
 * between the nodes' pods really crosses a link. Each Node reports its underlay address as
 * InternalIP and gets its own podCIDR; each agent routes to the other's pods. A pod on node B
 * reaches a pod on node A by its address, through a ClusterIP (DNAT on B, the endpoint on A) and
 * through the nodePort the API server allocated, on either node's address; a NetworkPolicy
 * created through the API then closes the pod on A to B's pods, and `netpol analyze --probe`,
 * opening connections from the runc pods' namespaces, finds the data plane agreeing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { NETWORK_POLICIES } from '../../src/cluster/netpol/enforcer.ts';
import { runNetpol } from '../../src/cli/netpol.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { Namespaces } from '../helpers/netns.ts';
import { requireBinaries, requireRunc } from '../helpers/real-parts.ts';
import { HOST, startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('two agents with their pod networks') || requireBinaries('nftables', 'nft') || requireBinaries('util-linux', 'nsenter');
const NODES = [
  { name: 'node-a', underlay: '10.250.201.1', podCIDR: '10.244.21.0/24' },
  { name: 'node-b', underlay: '10.250.201.2', podCIDR: '10.244.22.0/24' },
];

describe('two agents, each node network in its own namespace, joined by an underlay', { skip }, () => {
  let ac: AgentCluster;
  let ns: Namespaces;
  const nodes: RuncNode[] = [];

  before(async () => {
    ns = new Namespaces();
    const nodeNs = NODES.map((n) => ns.add(`pc2${n.name.slice(-1)}`));
    // The underlay: one veth pair, an end in each node's namespace, a /30 between them.
    const [ua, ub] = [`u2a${ns.suffix}`, `u2b${ns.suffix}`];
    ns.exec(nodeNs[0]!, ['ip', 'link', 'add', ua, 'type', 'veth', 'peer', 'name', ub, 'netns', nodeNs[1]!]);
    for (const [i, dev] of [ua, ub].entries()) {
      ns.exec(nodeNs[i]!, ['ip', 'addr', 'add', `${NODES[i]!.underlay}/30`, 'dev', dev]);
      ns.exec(nodeNs[i]!, ['ip', 'link', 'set', dev, 'up']);
    }
    ac = await startAgentCluster(['endpointslice-controller']);
    for (const [i, n] of NODES.entries()) {
      nodes.push(await startRuncAgent(ac, n.name, { network: { netns: nodeNs[i]!, podCIDR: n.podCIDR }, agent: { host: { ...HOST, hostname: n.name, internalIP: n.underlay } } }));
    }
  });

  after(async () => {
    try {
      for (const n of nodes) await stopRuncAgent(n);
    } finally {
      await ac?.close();
      ns?.destroy();
    }
  });

  const pod = (name: string, node: string, labels: Record<string, string>, command: string[], restartPolicy = 'Always') => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { nodeName: node, restartPolicy, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command }] },
  });
  const phase = (name: string, want: string[]) => eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
    return want.includes(p.status?.phase) && p;
  }, `${name} is ${want.join(' or ')}`, 900, 100);
  let clients = 0;
  /** A client pod on node B; whether its nc reached host:port. */
  const fromB = async (host: string, port: number): Promise<boolean> => {
    const name = `client-${++clients}`;
    await ac.admin.create(resources.pods, 'default', pod(name, 'node-b', { app: 'client' }, ['sh', '-c', `nc -w 3 ${host} ${port} </dev/null`], 'Never') as K8sObject);
    return (await phase(name, ['Succeeded', 'Failed'])).status?.phase === 'Succeeded';
  };

  test('a pod on B reaches a pod on A across the underlay, by address, ClusterIP and NodePort; a NetworkPolicy then closes it', { timeout: 300_000 }, async () => {
    await ac.admin.create(resources.pods, 'default', pod('web', 'node-a', { app: 'web' }, ['httpd', '-f', '-p', '8080', '-h', '/']) as K8sObject);
    const web = await phase('web', ['Running']);
    const ip = web.status?.podIP as string;
    assert.match(ip, /^10\.244\.21\.\d+$/, "an address from node A's podCIDR");
    assert.equal(await fromB(ip, 8080), true, 'pod to pod across nodes');

    const svc = await ac.admin.create(resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } as K8sObject);
    const clusterIP = svc.spec?.clusterIP as string;
    const nodePort = Number(svc.spec?.ports?.[0]?.nodePort);
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort} allocated by the API server`);
    // Once the EndpointSlice names the pod and node B's proxy has it, the ClusterIP answers from B.
    await eventually(async () => await fromB(clusterIP, 80), 'the ClusterIP reaches the pod on A from B', 10, 500);
    // The NodePort on either node's address: on B it is DNATed across to A; on A to its own pod.
    assert.equal(await fromB(NODES[1]!.underlay, nodePort), true, "B's nodePort");
    assert.equal(await fromB(NODES[0]!.underlay, nodePort), true, "A's nodePort");

    await ac.admin.create(NETWORK_POLICIES, 'default', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-closed' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } } as K8sObject);
    // Node A's enforcer programs it once it sees the policy; a later client on B is refused.
    await eventually(async () => !(await fromB(ip, 8080)), 'a client on B is refused by the policy on A', 5, 500);

    // netpol analyze --probe from the runc pods' own namespaces (found among the processes'):
    // B's pod to A's is refused as the analysis says, A's pod reaches B's (a reset: nothing listens).
    await ac.admin.create(resources.pods, 'default', pod('idle', 'node-b', { app: 'idle' }, ['sleep', '3600']) as K8sObject);
    await phase('idle', ['Running']);
    let out = '';
    const code = await runNetpol(['analyze', '--live', '--probe', '--kubeconfig', ac.c.cp.kubeconfigPath, '--probe-ports', '8080', '--probe-timeout', '1s'], (t) => (out += t), (cfg) => new RestClient(cfg));
    assert.match(out, /^probe: 2 connections from 2 pods on ports 8080: 0 differ from the analysis$/m, out);
    assert.equal(code, 0, out);
  });
});
