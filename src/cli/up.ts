import pino from 'pino';
import { startControlPlane } from '../server/control-plane.ts';
import { boolFlag, commaList, durationFlag, flag, parseCommand } from './args.ts';
import { AUTHZ_FLAGS, authorizationFromFlags } from './authz-flags.ts';
import { loadPodSecurityConfig } from '../admission/pod-security/config-file.ts';
import { loadImagePolicyWebhookConfig } from '../image-policy/webhook/config.ts';
import { loadImageVerificationConfig } from '../image-policy/admission/config-file.ts';
import { AUDIT_FLAGS, auditFromFlags } from './audit-flags.ts';
import { ETCD_FLAGS, etcdFromFlags } from './etcd-flags.ts';
import { AUTHN_BOOLEAN_FLAGS, AUTHN_FLAGS, SERVICE_ACCOUNT_FLAGS, authnFromFlags, serviceAccountsFromFlags, oidcFromFlags } from './authn-flags.ts';
import { startLocalAgent } from '../cluster/agent/local-agent.ts';
import { loadEncryptionConfig } from '../storage/encryption/config.ts';

export async function runUp(argv: string[]): Promise<number> {
  const args = parseCommand(argv, { name: 'up', booleans: [...AUTHN_BOOLEAN_FLAGS, 'leader-elect', 'local-agent'], flags: ['controllers', 'cluster-cidr', 'port', 'data-dir', 'bind-address', 'log-level', 'durability', ...AUTHN_FLAGS, ...SERVICE_ACCOUNT_FLAGS, 'enable-admission-plugins', 'disable-admission-plugins', ...AUTHZ_FLAGS, 'admission-control-config-file', ...AUDIT_FLAGS, ...ETCD_FLAGS, 'encryption-provider-config'] });
  const port = /^\d{1,5}$/.test(flag(args, 'port', '6443')) ? Number(flag(args, 'port', '6443')) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port: ${flag(args, 'port', '')}`);
  const durability = flag(args, 'durability', 'full');
  if (durability !== 'full' && durability !== 'normal') throw new Error(`invalid --durability: ${durability} (full or normal)`);
  const logger = pino({ level: flag(args, 'log-level', 'info') });
  const controllers = commaList(args, 'controllers');
  // The local agent joins by bootstrap token (as kubeadm's nodes do), so it turns bootstrap token
  // authentication on unless the flag says otherwise.
  const localAgent = boolFlag(args, 'local-agent', true);
  const authn = authnFromFlags(args);
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
    dataDir: flag(args, 'data-dir', './.portcullis'),
    port,
    bindAddress: flag(args, 'bind-address', '127.0.0.1'),
    logger,
    durability,
    etcd: etcdFromFlags(args),
    encryption: flag(args, 'encryption-provider-config', '') ? loadEncryptionConfig(flag(args, 'encryption-provider-config', '')) : undefined,
    authn,
    serviceAccounts: serviceAccountsFromFlags(args),
    oidc: oidcFromFlags(args),
    ...authorizationFromFlags(args),
    audit: auditFromFlags(args),
    admission: {
      enable: commaList(args, 'enable-admission-plugins'),
      disable: commaList(args, 'disable-admission-plugins'),
      podSecurity: flag(args, 'admission-control-config-file', '') ? loadPodSecurityConfig(flag(args, 'admission-control-config-file', '')) : undefined,
      imagePolicyWebhook: flag(args, 'admission-control-config-file', '') ? loadImagePolicyWebhookConfig(flag(args, 'admission-control-config-file', '')) : undefined,
      imageVerification: flag(args, 'admission-control-config-file', '') ? loadImageVerificationConfig(flag(args, 'admission-control-config-file', '')) : undefined,
    },
  });
  const d = cp.durability();
  const synchronous = d ? (['OFF', 'NORMAL', 'FULL', 'EXTRA'][d.synchronous] ?? String(d.synchronous)) : undefined;
  logger.info({ url: cp.url, kubeconfig: cp.kubeconfigPath, durability: d?.durability, synchronous, syncedBeforeAck: d?.syncedBeforeAck, etcdServers: d ? undefined : flag(args, 'etcd-servers', '') }, 'Portcullis API server is serving');
  // The settings really in force, read back from the store, so an operator (and the crash test)
  // can see that "full" means a sync before every acknowledgement.
  const how = d?.syncedBeforeAck ? 'WAL synced before each acknowledgement' : 'no sync before acknowledgement';
  const storage = d ? `durability: ${d.durability} (SQLite synchronous=${synchronous}, ${how})` : `storage: etcd ${flag(args, 'etcd-servers', '')} (prefix ${flag(args, 'etcd-prefix', '/registry')})`;
  const agent = localAgent
    ? startLocalAgent({ dataDir: flag(args, 'data-dir', './.portcullis'), server: cp.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:'), admin: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, bootstrapTokenAuth: authn.enableBootstrapTokenAuth === true, log: logger.child({ component: 'agent' }) })
    : { kind: 'none' as const, reason: '--local-agent=false' };
  const node = agent.kind === 'starting' ? `  local node: ${agent.nodeName} (joining by bootstrap token; kubectl get nodes)` : `  no local node runs pods: ${agent.reason}`;
  process.stdout.write(`Portcullis is serving on ${cp.url}\n  ${storage}\n  export KUBECONFIG=${cp.kubeconfigPath}\n${node}\n`);
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (agent.kind === 'starting') await agent.stop();
  await cp.close();
  return 0;
}
