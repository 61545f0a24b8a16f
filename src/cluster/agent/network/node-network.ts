/**
 * Everything a node agent does for the pod network, in one place: waits for its Node's podCIDR
 * (the node IPAM controller assigns it), routes to the other nodes' pods, gives each pod sandbox
 * its address (routed.ts), enforces NetworkPolicy and AdminNetworkPolicy (src/cluster/netpol),
 * serves Services (service-proxy.ts) and the cluster DNS on a node-local address, and writes pods'
 * resolv.conf for their dnsPolicy. All of it through the API with the network plugin's own
 * identity (network-identity.ts: system:node-network:<node>), never the node's, which may only list
 * its own pods.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient, InformerFactory, K8sObject } from '../../client/types.ts';
import { isNotFound } from '../../client/errors.ts';
import { resources } from '../../client/resources.ts';
import { ADMIN_NETWORK_POLICIES, NetpolEnforcer } from '../../netpol/enforcer.ts';
import { ClusterDns } from './dns/records.ts';
import { indexedClusterData } from './dns/indexed-data.ts';
import { DnsServer } from './dns/server.ts';
import { missingClusterDNS, resolvConfFor } from './dns/resolv-conf.ts';
import { nodeCommandRunner, type Run } from './ip-command.ts';
import { SharedInformerFactory } from '../../client/informer.ts';
import { desiredRoutes, NodeRoutes } from './node-routes.ts';
import { RoutedPodNetwork, type PodNetwork } from './routed.ts';
import { ServiceProxy } from './service-proxy.ts';
import { DEFAULT_CLUSTER_DOMAIN } from '../etc-hosts.ts';
import { writeSandboxFile } from '../pod-managed-files.ts';
import { canonicalCIDR } from '../../../util/ip-sloppy.ts';

export interface NodeNetworkOptions {
  /** Informers for the node network alone (not selected by node): stopped with it. */
  factory: InformerFactory;
  nodeName: string;
  run: Run;
  /** Where the address allocations are kept. */
  stateDir: string;
  /** The cluster's pod network (--cluster-cidr). */
  clusterCIDR: string;
  /** Whether the admin network policy kinds are served. */
  adminPolicies: boolean;
  /** Node-local address of the DNS server (NodeLocal DNSCache's 169.254.20.10 by default); '' for none. */
  dnsAddress?: string;
  dnsPort?: number;
  /** Pods' nameservers for ClusterFirst (the kubelet's clusterDNS; default the DNS server's address alone). */
  clusterDNS?: readonly string[];
  /** The DNS zone and pods' search paths (--cluster-domain, default cluster.local). */
  clusterDomain?: string;
  /** How long to wait for the Node's podCIDR (default 60 s). */
  podCidrTimeoutMs?: number;
  log: { info(o: object, m: string): void; error(o: object, m: string): void };
}

export interface NodeNetwork {
  readonly podCIDR: string;
  /** What the agent's pod workers call (the PodNetwork of routed.ts). */
  readonly podNetwork: PodNetwork;
  readonly enforcer: NetpolEnforcer;
  readonly services: ServiceProxy;
  resolvConf(pod: Pod): string;
  /** Whether the pod's dnsPolicy asks for the cluster DNS the node has none of (the kubelet's MissingClusterDNS). */
  missingClusterDNS(pod: Pod): boolean;
  stop(): Promise<void>;
}

export async function startNodeNetwork(o: NodeNetworkOptions): Promise<NodeNetwork> {
  const nodes = o.factory.informer<K8sObject>(resources.nodes);
  o.factory.start();
  const podCIDR = await waitForPodCIDR(nodes, o.nodeName, o.podCidrTimeoutMs ?? 60_000);
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const pods = new RoutedPodNetwork({ podCIDR, stateFile: join(o.stateDir, 'pod-addresses.json'), run: o.run });
  await pods.init();
  const routes = new NodeRoutes(o.run);
  let routing = Promise.resolve();
  const syncRoutes = () => (routing = routing.then(() => routes.sync(desiredRoutes(nodes.list(), o.nodeName)).catch((err) => o.log.error({ err }, 'routes to other nodes failed'))));
  nodes.addEventHandler({ add: syncRoutes, update: syncRoutes, delete: syncRoutes });
  syncRoutes();
  const nft = (script: string) => o.run(['nft', '-f', '-'], script).then(() => undefined);
  const enforcer = new NetpolEnforcer({ factory: o.factory, nodeName: o.nodeName, podNetworks: [o.clusterCIDR], adminPolicies: o.adminPolicies, apply: nft, log: o.log });
  const services = new ServiceProxy({ factory: o.factory, nodeName: o.nodeName, apply: nft, healthChecks: {}, log: o.log });
  await Promise.all([enforcer.start(), services.start()]);
  const dnsAddress = o.dnsAddress ?? '169.254.20.10';
  const domain = o.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const clusterDNS = [...(o.clusterDNS ?? (dnsAddress ? [dnsAddress] : []))];
  let dns: DnsServer | undefined;
  if (dnsAddress) {
    await o.run(['ip', 'addr', 'replace', `${dnsAddress}/32`, 'dev', 'lo']);
    const svcInf = o.factory.informer<K8sObject>(resources.services);
    const sliceInf = o.factory.informer<K8sObject>(resources.endpointslices);
    const podInf = o.factory.informer<K8sObject>(resources.pods);
    dns = new DnsServer({ dns: new ClusterDns(indexedClusterData(svcInf, sliceInf, podInf), domain), host: dnsAddress, port: o.dnsPort ?? 53 });
    await dns.start();
  }
  let hostResolv = '';
  try {
    hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // no host resolver: Default-policy pods get an empty resolv.conf
  }
  o.log.info({ podCIDR, dns: dnsAddress || 'off' }, 'pod network ready');
  return {
    podCIDR,
    podNetwork: pods,
    enforcer,
    services,
    resolvConf: (pod) => resolvConfFor({ namespace: pod.metadata?.namespace ?? 'default', dnsPolicy: pod.spec?.dnsPolicy, hostNetwork: pod.spec?.hostNetwork, dnsConfig: pod.spec?.dnsConfig as never, clusterDNS, clusterDomain: domain, hostResolvConf: hostResolv }),
    missingClusterDNS: (pod) => missingClusterDNS(pod.spec ?? {}, clusterDNS),
    async stop() {
      enforcer.stop();
      services.stop();
      await dns?.stop();
      // The informers were started here and are the node network's own.
      o.factory.stop();
    },
  };
}

/**
 * What `portcullis agent` (and `up --pod-network`) hands the agent: the node network started with
 * the network plugin identity's client once it has one, in the agent's network namespace, the
 * admin policy kinds used where served.
 */
export function nodeNetworkStarter(o: { nodeName: string; dataDir: string; clusterCIDR: string; dnsAddress: string; clusterDNS?: readonly string[]; clusterDomain?: string; log: NodeNetworkOptions['log'] & { warn(o: object, m: string): void } }): (client: Promise<ApiClient>) => Promise<{ podNetwork: PodNetwork; podFiles(pod: Pod): Promise<Record<string, string>>; missingClusterDNS(pod: Pod): boolean; stop(): Promise<void> }> {
  return async (identity) => {
    // The agent joins and runs host-network pods without waiting: the network starts once its
    // identity's certificate is issued and the Node has its podCIDR; until then a pod that needs
    // an address fails its sync and is retried.
    let factory: SharedInformerFactory | undefined;
    let client: ApiClient | undefined;
    let current: NodeNetwork | undefined;
    let failed: Error | undefined;
    let stopped = false;
    void (async () => {
      client = await identity;
      if (stopped) return undefined;
      factory = new SharedInformerFactory({ client, log: o.log });
      const adminPolicies = await adminPoliciesServed(client);
      return startNodeNetwork({ factory, nodeName: o.nodeName, run: nodeCommandRunner(), stateDir: join(o.dataDir, 'network'), clusterCIDR: o.clusterCIDR, adminPolicies, dnsAddress: o.dnsAddress, clusterDNS: o.clusterDNS, clusterDomain: o.clusterDomain, podCidrTimeoutMs: Number.POSITIVE_INFINITY, log: o.log });
    })().then(
      (n) => {
        if (!n) return;
        if (stopped) void n.stop();
        else current = n;
      },
      (err: Error) => {
        failed = err;
        if (!stopped) o.log.error({ err }, 'the pod network did not start');
      },
    );
    const ready = (): NodeNetwork => {
      if (current) return current;
      if (failed) throw new Error(`the pod network failed to start: ${failed.message}`);
      if (!client) throw new Error(`the pod network is not ready yet: the network identity system:node-network:${o.nodeName} has no certificate yet (a CertificateSigningRequest for signer portcullis.dev/node-network-client, approved for the node that asks)`);
      throw new Error(`the pod network is not ready yet: Node ${o.nodeName} has no spec.podCIDR (the node IPAM controller assigns it)`);
    };
    // Where earlier versions wrote the pods' resolv.conf: removed with the pod's network.
    const filesDir = (uid: string) => join(o.dataDir, 'network', 'pods', uid);
    return {
      podNetwork: {
        setUp: (pod, netnsPath) => ready().podNetwork.setUp(pod, netnsPath),
        async tearDown(pod) {
          await current?.podNetwork.tearDown(pod);
          await rm(filesDir(pod.uid), { recursive: true, force: true });
        },
        addressOf: (uid) => current?.podNetwork.addressOf(uid),
      },
      // The pod's /etc/resolv.conf for its dnsPolicy (none until the network runs: the image's
      // stays), in the pod's directory with its other files (pod-managed-files.ts): containers
      // without readOnlyRootFilesystem can write it, as containerd mounts it.
      async podFiles(pod): Promise<Record<string, string>> {
        if (!current) return {};
        return { '/etc/resolv.conf': await writeSandboxFile(join(o.dataDir, 'pods'), pod.metadata?.uid ?? '', 'resolv.conf', current.resolvConf(pod)) };
      },
      missingClusterDNS: (pod) => current?.missingClusterDNS(pod) ?? false,
      async stop() {
        stopped = true;
        factory?.stop();
        await current?.stop();
      },
    };
  };
}

/** Whether the cluster serves the admin network policy kinds (portcullis up installs them). */
export async function adminPoliciesServed(client: ApiClient): Promise<boolean> {
  try {
    await client.list(ADMIN_NETWORK_POLICIES, '', { limit: 1 });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function waitForPodCIDR(nodes: { get(ns: string, name: string): K8sObject | undefined; synced(): Promise<void>; addEventHandler(h: { add?(o: K8sObject): void; update?(a: K8sObject, b: K8sObject): void }): void }, name: string, timeoutMs: number): Promise<string> {
  await nodes.synced();
  // Canonical: the API accepts legacy forms ("010.244.001.000/24") that iproute2 would read otherwise.
  const have = () => {
    const raw = (nodes.get('', name)?.spec?.podCIDR as string | undefined) || undefined;
    return raw === undefined ? undefined : (canonicalCIDR(raw) ?? raw);
  };
  const now = have();
  if (now) return now;
  return await new Promise<string>((resolve, reject) => {
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => reject(new Error(`Node ${name} has no spec.podCIDR after ${timeoutMs} ms: is the node IPAM controller running (portcullis up --cluster-cidr)?`)), timeoutMs) : undefined;
    const check = () => {
      const c = have();
      if (c) {
        clearTimeout(timer);
        resolve(c);
      }
    };
    nodes.addEventHandler({ add: check, update: check });
  });
}
