/**
 * The node agent with its pod network, end to end (root, runc, busybox): pods run under runc get
 * addresses from the Node's podCIDR in their own network namespaces, talk to each other through the
 * node, and a NetworkPolicy created through the API stops new connections. The node's network lives
 * in a network namespace the test makes, so the host's is left alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../../src/image-policy/oci/build.ts';
import { busyboxRootfs } from '../../src/cluster/agent/runtime/busybox-rootfs.ts';
import { ImageStore } from '../../src/cluster/agent/runtime/image-store.ts';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';
import { removeEverything } from '../../src/cluster/agent/node-runtime.ts';
import { SharedInformerFactory } from '../../src/cluster/client/informer.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { nodeCommandRunner } from '../../src/cluster/agent/network/ip-command.ts';
import { startNodeNetwork } from '../../src/cluster/agent/network/node-network.ts';
import { NETWORK_POLICIES } from '../../src/cluster/netpol/enforcer.ts';
import { Namespaces } from '../helpers/netns.ts';
import { requireBinaries, requirePart, requireRoot } from '../helpers/real-parts.ts';
import { startAgentCluster, eventually, quietLog, type AgentCluster } from './agent-helpers.ts';

const skip = requireRoot('the agent with its pod network') || requireBinaries('runc', 'runc') || requireBinaries('nftables', 'nft') || requireBinaries('util-linux', 'nsenter') || requirePart('/bin/busybox (Debian package busybox-static)', existsSync('/bin/busybox'));
const NODE = 'node-net';
const IMAGE = 'portcullis.local/bb:net';

describe('node agent with the pod network', { skip }, () => {
  let ac: AgentCluster;
  let rt: RuncRuntime;
  let ns: Namespaces;
  let agent: { stop(): Promise<void> } | undefined;

  before(async () => {
    ns = new Namespaces();
    const nodeNs = ns.add('pcagent');
    ac = await startAgentCluster();
    const work = join(ac.dir, NODE);
    const ctx = await busyboxRootfs(join(work, 'ctx'));
    await buildImage({ contextDir: ctx.rootfs, outputDir: join(work, 'bb.oci'), refName: 'v1', cmd: ['sh'], env: ['PATH=/bin'] });
    const images = new ImageStore({ root: join(work, 'runtime') });
    await images.importLayout(join(work, 'bb.oci'), IMAGE);
    rt = new RuncRuntime({ stateRoot: join(work, 'runtime') });
    // What the node IPAM controller does, once the agent has registered its Node.
    void eventually(async () => {
      const n = await ac.admin.get<K8sObject>(resources.nodes, '', NODE).catch(() => undefined);
      if (!n) return false;
      await ac.admin.patch(resources.nodes, '', NODE, 'merge', { spec: { podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] } });
      return true;
    }, 'the Node registered', 400, 100);
    ({ agent } = await ac.start(NODE, {
      dataDir: work, runtime: rt, images, runtimeScheme: 'runc',
      startNetwork: async (identity) => {
        const client = await identity;
        const net = await startNodeNetwork({ factory: new SharedInformerFactory({ client, log: quietLog }), nodeName: NODE, run: nodeCommandRunner(nodeNs), stateDir: join(work, 'network'), clusterCIDR: '10.244.0.0/16', adminPolicies: false, dnsAddress: '', log: quietLog });
        const resolv = join(work, 'resolv.conf');
        return {
          podNetwork: net.podNetwork,
          stop: () => net.stop(),
          // As nodeNetworkStarter does: the pod's resolv.conf for its dnsPolicy.
          podFiles: async (p) => (writeFileSync(resolv, net.resolvConf(p)), { '/etc/resolv.conf': resolv }),
        };
      },
    }));
  });

  after(async () => {
    // The agent first, or it would restart what is being removed.
    await agent?.stop();
    if (rt) {
      await removeEverything(rt);
      rt.close();
    }
    await ac?.close();
    ns?.destroy();
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
