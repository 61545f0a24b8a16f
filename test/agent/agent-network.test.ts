/**
 * The node agent with its pod network, end to end (root, runc, busybox): pods run under runc get
 * addresses from the Node's podCIDR in their own network namespaces, talk to each other through the
 * node, and a NetworkPolicy created through the API stops new connections. The node's network lives
 * in a network namespace the test makes, so the host's is left alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { NETWORK_POLICIES } from '../../src/cluster/netpol/enforcer.ts';
import { Namespaces } from '../helpers/netns.ts';
import { requireBinaries, requireRunc } from '../helpers/real-parts.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('the agent with its pod network') || requireBinaries('nftables', 'nft') || requireBinaries('util-linux', 'nsenter');
const NODE = 'node-net';

describe('node agent with the pod network', { skip }, () => {
  let ac: AgentCluster;
  let ns: Namespaces;
  let node: RuncNode | undefined;

  before(async () => {
    ns = new Namespaces();
    const netns = ns.add('pcagent');
    ac = await startAgentCluster();
    node = await startRuncAgent(ac, NODE, { network: { netns, podCIDR: '10.244.9.0/24' } });
  });

  after(async () => {
    try {
      await stopRuncAgent(node, ac);
    } finally {
      ns?.destroy();
    }
  });

  const pod = (name: string, labels: Record<string, string>, command: string[], restartPolicy = 'Always') => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { nodeName: NODE, restartPolicy, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command }] },
  });
  const phase = (name: string, want: string[]) => eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
    return want.includes(p.status?.phase) && p;
  }, `${name} is ${want.join(' or ')}`, 600, 100);

  test('pods get addresses, reach each other through the node, and a NetworkPolicy stops new connections', async () => {
    await ac.admin.create(resources.pods, 'default', pod('web', { app: 'web' }, ['httpd', '-f', '-p', '8080', '-h', '/']) as K8sObject);
    const web = await phase('web', ['Running']);
    const ip = web.status?.podIP as string;
    assert.match(ip, /^10\.244\.9\.\d+$/, 'an address from the Node\'s podCIDR');
    assert.deepEqual(web.status?.podIPs, [{ ip }]);

    await ac.admin.create(resources.pods, 'default', pod('resolv', { app: 'probe' }, ['cat', '/etc/resolv.conf'], 'Never') as K8sObject);
    await phase('resolv', ['Succeeded']);
    const logs = readdirSync(join(ac.dir, NODE, 'runtime', 'logs')).filter((d) => d.startsWith('default_resolv_'));
    assert.equal(logs.length, 1);
    const out = readFileSync(join(ac.dir, NODE, 'runtime', 'logs', logs[0]!, 'c', '0.log'), 'utf8');
    assert.match(out, /stdout F search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m, 'the pod\'s resolv.conf for dnsPolicy ClusterFirst');
    assert.match(out, /stdout F nameserver 10\.96\.0\.10$/m);
    assert.match(out, /stdout F options ndots:5$/m);

    await ac.admin.create(resources.pods, 'default', pod('client-1', { app: 'client' }, ['sh', '-c', `nc -w 3 ${ip} 8080 </dev/null`], 'Never') as K8sObject);
    assert.equal((await phase('client-1', ['Succeeded', 'Failed'])).status?.phase, 'Succeeded', 'pod to pod over the routed network');

    await ac.admin.create(NETWORK_POLICIES, 'default', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-closed' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } } as K8sObject);
    // The agent's enforcer programs the node once it sees the policy; a later client is refused.
    await eventually(async () => {
      const name = `client-${Date.now()}`;
      await ac.admin.create(resources.pods, 'default', pod(name, { app: 'client' }, ['sh', '-c', `nc -w 2 ${ip} 8080 </dev/null`], 'Never') as K8sObject);
      return (await phase(name, ['Succeeded', 'Failed'])).status?.phase === 'Failed';
    }, 'a client pod is refused by the policy', 5, 500);
  });
});
