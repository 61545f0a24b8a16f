/**
 * `portcullis apiserver --etcd-servers URLS --data-dir D`: the API server alone (no controller
 * manager, no scheduler, no node agent), as kube-apiserver. Several of them on one etcd serve one
 * cluster: every object, the Service IP allocations (IPAddress objects), the quota charges (the
 * ResourceQuota's status) and the CRDs live in etcd, and each server follows etcd with its own
 * watch cache. They share the PKI: copy the first server's `<data-dir>/pki` to the others' data
 * directories before their first start (each would otherwise make a CA of its own).
 */
import pino from 'pino';
import { startControlPlane, type ControlPlaneOptions } from '../server/control-plane.ts';
import { boolFlag, commaList, durationFlag, flag, parseCommand, type ParsedArgs } from './args.ts';
import { AUTHZ_FLAGS, authorizationFromFlags } from './authz-flags.ts';
import { loadPodSecurityConfig } from '../admission/pod-security/config-file.ts';
import { loadResourceQuotaConfig } from '../admission/quota/config-file.ts';
import { loadImagePolicyWebhookConfig } from '../image-policy/webhook/config.ts';
import { loadImageVerificationConfig } from '../image-policy/admission/config-file.ts';
import { AUDIT_FLAGS, auditFromFlags } from './audit-flags.ts';
import { ETCD_FLAGS, etcdFromFlags } from './etcd-flags.ts';
import { AUTHN_BOOLEAN_FLAGS, AUTHN_FLAGS, SERVICE_ACCOUNT_FLAGS, authnFromFlags, serviceAccountsFromFlags, oidcFromFlags } from './authn-flags.ts';
import { loadEncryptionConfig } from '../storage/encryption/config.ts';
import { parsePortRange } from '../server/rest/service-node-ports.ts';
import { untilStopped } from './controller-manager.ts';
import { FLOW_CONTROL_BOOLEANS, FLOW_CONTROL_FLAGS, flowControlFromFlags } from './flowcontrol-flags.ts';
import { WATCH_CACHE_BOOLEANS, WATCH_CACHE_FLAGS, watchCacheFromFlags } from './watch-cache-flags.ts';

/** The flags of the API server proper, which `portcullis up` takes too. */
export const API_SERVER_FLAGS = ['port', 'data-dir', 'bind-address', 'log-level', ...AUTHN_FLAGS, ...SERVICE_ACCOUNT_FLAGS, 'enable-admission-plugins', 'disable-admission-plugins', ...AUTHZ_FLAGS, 'admission-control-config-file', ...AUDIT_FLAGS, ...ETCD_FLAGS, 'encryption-provider-config', 'advertise-address', 'service-node-port-range', 'event-ttl', ...FLOW_CONTROL_FLAGS, ...WATCH_CACHE_FLAGS] as const;
export const API_SERVER_BOOLEANS = [...AUTHN_BOOLEAN_FLAGS, ...FLOW_CONTROL_BOOLEANS, 'encryption-provider-config-automatic-reload', 'allow-privileged', ...WATCH_CACHE_BOOLEANS] as const;

/** --port: 0..65535 (0 picks a free port). */
export function portFlag(args: ParsedArgs): number {
  const text = flag(args, 'port', '6443');
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port: ${text}`);
  return port;
}

/** What the API server flags say, as startControlPlane options (the store, authentication, authorization, admission, audit). */
export function apiServerFromFlags(args: ParsedArgs) {
  const config = flag(args, 'admission-control-config-file', '');
  const encryptionFile = flag(args, 'encryption-provider-config', '');
  const encryptionReload = boolFlag(args, 'encryption-provider-config-automatic-reload', false);
  if (encryptionReload && !encryptionFile) throw new Error('--encryption-provider-config-automatic-reload must be set with --encryption-provider-config');
  return {
    dataDir: flag(args, 'data-dir', './.portcullis'),
    port: portFlag(args),
    bindAddress: flag(args, 'bind-address', '127.0.0.1'),
    advertiseAddress: flag(args, 'advertise-address', '') || undefined,
    serviceNodePortRange: parsePortRange(flag(args, 'service-node-port-range', '30000-32767')),
    // Whole seconds, as upstream's uint64(EventTTL.Seconds()): under a second is no TTL at all.
    eventTtlSeconds: Math.floor(durationFlag(args, 'event-ttl', '1h0m0s') / 1000),
    // As kube-apiserver: privileged containers (and Windows hostProcess pods) are refused unless allowed.
    allowPrivileged: boolFlag(args, 'allow-privileged', false),
    etcd: etcdFromFlags(args),
    watchCacheFlags: watchCacheFromFlags(args),
    encryption: encryptionFile ? loadEncryptionConfig(encryptionFile) : undefined,
    encryptionReload: encryptionReload ? { path: encryptionFile } : undefined,
    authn: authnFromFlags(args),
    serviceAccounts: serviceAccountsFromFlags(args),
    oidc: oidcFromFlags(args),
    ...authorizationFromFlags(args),
    audit: auditFromFlags(args),
    flowControl: flowControlFromFlags(args),
    admission: {
      enable: commaList(args, 'enable-admission-plugins'),
      disable: commaList(args, 'disable-admission-plugins'),
      podSecurity: config ? loadPodSecurityConfig(config) : undefined,
      imagePolicyWebhook: config ? loadImagePolicyWebhookConfig(config) : undefined,
      imageVerification: config ? loadImageVerificationConfig(config) : undefined,
      resourceQuota: config ? loadResourceQuotaConfig(config) : undefined,
    },
  } satisfies Partial<ControlPlaneOptions>;
}

export async function runApiServer(argv: string[], out: (s: string) => void, stopSignal?: Promise<void>): Promise<number> {
  const args = parseCommand(argv, { name: 'apiserver', booleans: [...API_SERVER_BOOLEANS], flags: [...API_SERVER_FLAGS] });
  const opts = apiServerFromFlags(args);
  // The embedded SQLite file belongs to one process: servers that share a cluster share etcd.
  if (!opts.etcd) throw new Error('--etcd-servers is required (several API servers share one etcd; portcullis up runs one on SQLite)');
  const logger = pino({ level: flag(args, 'log-level', 'info') });
  const cp = await startControlPlane({ ...opts, logger, controllers: [], scheduler: false, adminNetworkPolicies: true });
  logger.info({ url: cp.url, kubeconfig: cp.kubeconfigPath, etcdServers: flag(args, 'etcd-servers', '') }, 'Portcullis API server is serving');
  out(`Portcullis API server is serving on ${cp.url}\n  storage: etcd ${flag(args, 'etcd-servers', '')} (prefix ${opts.etcd.prefix})\n  export KUBECONFIG=${cp.kubeconfigPath}\n`);
  await untilStopped(stopSignal);
  await cp.close();
  return 0;
}
