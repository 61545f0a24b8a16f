import pino from 'pino';
import { startControlPlane } from '../server/control-plane.ts';
import { boolFlag, commaList, flag, parseCommand } from './args.ts';
import { API_SERVER_BOOLEANS, API_SERVER_FLAGS, apiServerFromFlags } from './apiserver.ts';
import { upSchedulerSettings } from './scheduler.ts';
import { join } from 'node:path';
import { localNodeName, startLocalAgent } from '../cluster/agent/local-agent.ts';
import { nodeNetworkStarter } from '../cluster/agent/network/node-network.ts';
import { RestClient } from '../cluster/client/rest-client.ts';
import { defaultMetricsHost } from '../cluster/metrics/registration.ts';
import { startNodeMetricsServer } from '../cluster/metrics/serve-node-metrics.ts';

export async function runUp(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { name: 'up', booleans: [...API_SERVER_BOOLEANS, 'leader-elect', 'local-agent', 'pod-network', 'approve-local-serving-cert', 'metrics-server'], flags: ['controllers', 'cluster-cidr', 'durability', 'scheduler-config', ...API_SERVER_FLAGS] });
  const server = apiServerFromFlags(args);
  // --scheduler-config: read and checked as `portcullis scheduler --config` does, before anything starts.
  const schedulerSettings = upSchedulerSettings(args);
  const durability = flag(args, 'durability', 'full');
  if (durability !== 'full' && durability !== 'normal') throw new Error(`invalid --durability: ${durability} (full or normal)`);
  const logger = pino({ level: flag(args, 'log-level', 'info') });
  const controllers = commaList(args, 'controllers');
  // The local agent joins by bootstrap token (as kubeadm's nodes do), so it turns bootstrap token
  // authentication on unless the flag says otherwise.
  const localAgent = boolFlag(args, 'local-agent', true);
  const authn = server.authn;
  if (localAgent && !args.flags.has('enable-bootstrap-token-auth')) authn.enableBootstrapTokenAuth = true;
  const cp = await startControlPlane({
    // Absent: every controller on by default ('*'); an unknown name fails the start.
    controllers: controllers.length ? controllers : undefined,
    // Pod addresses for the node agents: each Node gets a /24 of it (empty: none assigned).
    clusterCIDR: flag(args, 'cluster-cidr', '10.244.0.0/16') || undefined,
    adminNetworkPolicies: true,
    // The controller manager and scheduler on a core of their own (a worker thread).
    componentsInWorker: true,
    leaderElect: boolFlag(args, 'leader-elect', true),
    schedulerSettings,
    ...server,
    logger,
    durability,
    authn,
  });
  const d = cp.durability();
  const synchronous = d ? (['OFF', 'NORMAL', 'FULL', 'EXTRA'][d.synchronous] ?? String(d.synchronous)) : undefined;
  logger.info({ url: cp.url, kubeconfig: cp.kubeconfigPath, durability: d?.durability, synchronous, syncedBeforeAck: d?.syncedBeforeAck, etcdServers: d ? undefined : flag(args, 'etcd-servers', '') }, 'Portcullis API server is serving');
  // The settings really in force, read back from the store, so an operator (and the crash test)
  // can see that "full" means a sync before every acknowledgement.
  const how = d?.syncedBeforeAck ? 'WAL synced before each acknowledgement' : 'no sync before acknowledgement';
  const storage = d ? `durability: ${d.durability} (SQLite synchronous=${synchronous}, ${how})` : `storage: etcd ${flag(args, 'etcd-servers', '')} (prefix ${flag(args, 'etcd-prefix', '/registry')})`;
  const agent = localAgent
    ? startLocalAgent({ dataDir: flag(args, 'data-dir', './.portcullis'), server: cp.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:'), admin: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, bootstrapTokenAuth: authn.enableBootstrapTokenAuth === true, log: logger.child({ component: 'agent' }),
        approveServingCertificate: boolFlag(args, 'approve-local-serving-cert', true),
        // --pod-network: the local node's pod network in this host's network namespace (routes, nftables, DNS on 169.254.20.10).
        startNetwork: boolFlag(args, 'pod-network', false) ? nodeNetworkStarter({ nodeName: localNodeName(), dataDir: join(flag(args, 'data-dir', './.portcullis'), 'agent'), clusterCIDR: flag(args, 'cluster-cidr', '10.244.0.0/16'), dnsAddress: '169.254.20.10', log: logger.child({ component: 'node-network' }) }) : undefined })
    : { kind: 'none' as const, reason: '--local-agent=false' };
  const node = agent.kind === 'starting' ? `  local node: ${agent.nodeName} (joining by bootstrap token; kubectl get nodes)` : `  no local node runs pods: ${agent.reason}`;
  // metrics-server for the real nodes (kubectl top, the HPA): scrapes every Ready node's agent.
  const loopbackUrl = cp.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  const metricsHost = defaultMetricsHost();
  const admin = new RestClient({ server: loopbackUrl, identity: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, userAgent: 'portcullis-up' });
  const metrics = !boolFlag(args, 'metrics-server', true) ? undefined
    : !metricsHost ? void logger.warn('metrics.k8s.io is not served: this host has no non-loopback IPv4 address for the API server to reach the metrics server on')
    : await startNodeMetricsServer({ admin, server: loopbackUrl, ca: { certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem }, host: metricsHost, log: logger.child({ component: 'metrics-server' }) })
      .catch((err: Error) => void logger.warn({ err: err.message }, 'metrics.k8s.io is not served'));
  process.stdout.write(`Portcullis is serving on ${cp.url}\n  ${storage}\n  export KUBECONFIG=${cp.kubeconfigPath}\n${node}\n${metrics ? `  metrics.k8s.io: ${metrics.url} (kubectl top)\n` : ''}`);
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await metrics?.stop();
  admin.close();
  if (agent.kind === 'starting') await agent.stop();
  await cp.close();
  return 0;
}
