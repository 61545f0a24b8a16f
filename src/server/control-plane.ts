import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { ensureClusterPki, type ClusterPki } from '../pki/bundle.ts';
import { renderKubeconfig, writeKubeconfig } from '../pki/kubeconfig.ts';
import { openSqliteStore, type DurabilityInfo } from '../storage/sqlite.ts';
import { checkDataDir } from '../storage/data-dir.ts';
import { createWatchCache, type WatchCacheOptions } from '../storage/watch-cache.ts';
import { uncachedPrefixes, type WatchCacheFlags } from './watch-cache-sizes.ts';
import type { EncryptionConfig } from '../storage/encryption/config.ts';
import { encryptingStore } from '../storage/encryption/encrypting-store.ts';
import { openEncryption } from '../storage/encryption/kms/open-encryption.ts';
import { openReloadingEncryption } from '../storage/encryption/reloading-encryption.ts';
import { createEtcdClient, createMemberClients, type EtcdConnection } from '../storage/etcd/etcd-client.ts';
import { openEtcdStore } from '../storage/etcd/etcd-store.ts';
import { withKeyTtl } from '../storage/key-ttl-store.ts';
import { eventWrittenAt } from '../storage/event-written-at.ts';
import { etcdDbSize } from '../storage/etcd/db-size.ts';
import { storagePrefix } from '../api/registry/resource-def.ts';
import type { Store } from '../storage/types.ts';
import { buildServer, type BuiltServer, type ServerOptions } from './build-server.ts';
import { bootstrap } from './bootstrap.ts';
import type { AuthnConfig } from '../authn/config.ts';
import { randomUUID } from 'node:crypto';
import type { AuthorizationMode } from '../authz/modes.ts';
import { setUpAuthorization, type AuthorizationFiles } from './authorization.ts';
import type { AdmissionSelection } from '../admission/registry.ts';
import { serviceAccountTokens, type ServiceAccountFlags } from './service-accounts.ts';
import { buildOidcAuthenticators } from '../authn/oidc/build.ts';
import type { OidcFlags } from '../authn/oidc/flags.ts';
import { startCrdController } from './crd-controller.ts';
import { startCompactor } from '../storage/compactor.ts';
import { discoveryFromRegistry } from '../cluster/controllers/resource-discovery.ts';
import { startAggregation, type AggregatorOptions } from './aggregation/index.ts';
import { hostname } from 'node:os';
import { startControllerManager, type ControllerManager } from '../cluster/controller-manager.ts';
import { startSchedulerProcess, type SchedulerFileSettings, type SchedulerProcess } from '../cluster/scheduler/process.ts';
import { mintClientIdentity, type ComponentIdentity } from '../cluster/client/identities.ts';
import { selectControllers } from '../cluster/controllers/registry.ts';
import { PV_BINDER } from '../cluster/controllers/volume/binder.ts';
import { ensureLocalPathClass } from '../cluster/controllers/volume/default-class.ts';
import { ensureAdminPolicyCrds } from '../cluster/netpol/admin-policy-crds.ts';
import { startComponentsWorker } from '../cluster/components-worker.ts';
import { RestClient } from '../cluster/client/rest-client.ts';
import { ensureFrontProxyPki, FRONT_PROXY_CLIENT_CN } from '../pki/front-proxy.ts';
import { publishAuthenticationTrust } from './authentication-trust.ts';
import { buildAuditor, type AuditOptions } from '../audit/config.ts';
import type { Auditor } from '../audit/auditor.ts';
import { kubeletClientIdentity } from './node-proxy/kubelet-client-identity.ts';
import { advertiseAddress, startKubernetesEndpoints } from './kubernetes-endpoints.ts';
import { KUBERNETES_SERVICE_IP } from './rest/service-ip.ts';
import type { PortRange } from './rest/service-node-ports.ts';
import { startNodePortRepair } from './rest/node-port-repair.ts';
import { startClusterIPRepair } from './rest/cluster-ip-repair.ts';
import type { FlowControlFlags } from './flowcontrol/setup.ts';
import { startFlowControlEnsurer } from './flowcontrol/ensure-config.ts';
import { serveSnapshots } from './snapshot-socket.ts';
import { EncryptionMetrics } from '../metrics/encryption-metrics.ts';
import { EtcdLeaseMetrics } from '../metrics/etcd-lease-metrics.ts';
import { apiServerId } from './apiserver-id.ts';
import { listenBacklog } from '../util/listen-backlog.ts';

/** The SQLite database and its write-ahead log as allocated on disk (apiserver_storage_size_bytes). */
function sqliteFilesBytes(path: string): number {
  let n = statSync(path).size;
  for (const extra of [`${path}-wal`, `${path}-shm`]) n += statSync(extra, { throwIfNoEntry: false })?.size ?? 0;
  return n;
}

/** kube-apiserver's default --etcd-compaction-interval. */
const COMPACTION_INTERVAL_MS = 5 * 60_000;
/** upstream's --event-ttl default (1h). */
const DEFAULT_EVENT_TTL_SECONDS = 3600;
/** Where Events are stored: core/v1 ones, and events.k8s.io/v1 ones, which share that storage. */
const EVENTS_PREFIX = storagePrefix({ group: '', resource: 'events' });

export interface ControlPlaneOptions {
  /** The API server's clock (admission, authentication); tests inject one. */
  now?: () => Date;
  /** API aggregation: the front-proxy client certificate shown to backends, the resync period. */
  aggregation?: AggregatorOptions;
  dataDir: string;
  port: number;
  bindAddress: string;
  logger?: Logger;
  /** 'full' (default) fsyncs each group commit; 'normal' survives process crashes but not power loss. */
  durability?: 'full' | 'normal';
  /** --etcd-servers, --etcd-cafile/certfile/keyfile, --etcd-prefix: store in etcd instead of the embedded SQLite. */
  etcd?: EtcdConnection & { prefix?: string };
  /** Authentication beyond the cluster CA's client certificates. */
  authn?: Omit<AuthnConfig, 'clientCaPem'> & { clientCaPem?: string };
  serviceAccounts?: ServiceAccountFlags;
  /** --authorization-mode (default RBAC; system:masters is always allowed first). */
  authorizationModes?: AuthorizationMode[];
  authorizationFiles?: AuthorizationFiles;
  /** --enable-admission-plugins / --disable-admission-plugins */
  admission?: AdmissionSelection;
  /** Per-user watch cap and per-watch backlog bounds (defaults in rest/watch-limits.ts). */
  watch?: ServerOptions['watch'];
  /** Bounds of the watch cache's recent events (defaults in storage/watch-cache.ts); not a flag, the benches size them. */
  watchCache?: WatchCacheOptions;
  /** --watch-cache, --watch-cache-sizes (watch-cache-sizes.ts; absent: upstream's defaults, Events uncached). */
  watchCacheFlags?: WatchCacheFlags;
  /** --oidc-* flags or an --authentication-config file. */
  oidc?: { flags?: OidcFlags; authenticationConfigFile?: string };
  /**
   * The controller manager's --controllers (default ['*']); [] runs no controller manager, and so
   * none of the core controllers either (default ServiceAccounts, kube-root-ca.crt, quota status,
   * namespace deletion, garbage collection).
   */
  controllers?: readonly string[];
  /** Run the scheduler (default true). */
  scheduler?: boolean;
  /** The scheduler's binds in flight at most (default scheduler.ts DEFAULT_PARALLEL_BINDS); not a flag, the scale bench sets it. */
  schedulerParallelBinds?: number;
  /** `up --scheduler-config`: a KubeSchedulerConfiguration's profiles, election, backoff and client settings, resolved. */
  schedulerSettings?: SchedulerFileSettings;
  /** --cluster-cidr: Nodes get their podCIDR from it (the node IPAM controller runs); absent: none is assigned. */
  clusterCIDR?: string;
  /** Install the AdminNetworkPolicy / BaselineAdminNetworkPolicy CRDs (policies/crds) at start (portcullis up does). */
  adminNetworkPolicies?: boolean;
  /**
   * Run the controller manager and the scheduler in a worker thread (portcullis up does) instead of
   * on the API server's event loop; then controllerManager/scheduler below are absent.
   */
  componentsInWorker?: boolean;
  /** --leader-elect of the controller manager and the scheduler (default true). */
  leaderElect?: boolean;
  /** --audit-policy-file, --audit-log-*, --audit-webhook-* (off when absent). */
  audit?: AuditOptions;
  /** --encryption-provider-config, loaded: values are encrypted between the watch cache and the store. */
  encryption?: EncryptionConfig;
  /**
   * --encryption-provider-config-automatic-reload: the file is read again (every pollMs, default a
   * minute, and when its directory changes) and a valid, healthy new configuration replaces the one
   * in force. The file is read from here; `encryption` is then not used.
   */
  encryptionReload?: { path: string; pollMs?: number };
  /**
   * --advertise-address: the address the `kubernetes` Service's endpoints name (default: the bind
   * address, or the host's first non-internal IPv4 for a wildcard bind; none for loopback).
   */
  advertiseAddress?: string;
  /**
   * --event-ttl in whole seconds (default 3600, upstream's 1h): every write of an Event (core/v1
   * and events.k8s.io/v1 share the storage) sets it to expire then (etcd: a lease); 0: never.
   */
  eventTtlSeconds?: number;
  /** --service-node-port-range (default 30000-32767). */
  serviceNodePortRange?: PortRange;
  /** --allow-privileged (default false, as kube-apiserver): privileged containers and Windows hostProcess pods are allowed. */
  allowPrivileged?: boolean;
  /** --enable-priority-and-fairness, --max-requests-inflight, --max-mutating-requests-inflight. */
  flowControl?: FlowControlFlags;
}

export interface ControlPlane {
  url: string;
  port: number;
  pki: ClusterPki;
  kubeconfigPath: string;
  server: BuiltServer;
  store: Store;
  /** The in-process controller manager and scheduler (API clients over loopback HTTPS), unless turned off. */
  controllerManager?: ControllerManager;
  scheduler?: SchedulerProcess;
  /** Audit, when configured: its backends' counters (stats()) and close. */
  auditor?: Auditor;
  /** How the store really commits (the SQLite settings in force), for the startup line and tests; undefined on etcd. */
  durability(): DurabilityInfo | undefined;
  close(): Promise<void>;
}

/**
 * `portcullis up`: PKI, store, API server, controllers, admin kubeconfig. A second start reuses them all.
 *
 * Every step that can fail runs before the port is opened when the port is known; with port 0 the
 * steps that need the real port (the kubernetes Service, the kubeconfig) run right after listening.
 * Either way a failure closes whatever was started (server, controllers, store) before the
 * promise rejects: a half-started server must not keep serving, nor keep the store locked so that
 * the next start fails with "database is locked".
 */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const log = opts.logger ?? pino({ level: 'info' });
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // It holds the cluster CA's key as well as the store: refused, on either store, before anything in it is read or written.
  checkDataDir(dataDir);
  const advertised = advertiseAddress(opts.bindAddress, opts.advertiseAddress);
  // Pods reach the server as 10.96.0.1 (the kubernetes Service) or its advertised address, as kubeadm's certificate names them.
  const pki = ensureClusterPki(dataDir, { now: new Date(), log: { info: (m) => log.info(m) }, serverIpAddresses: [KUBERNETES_SERVICE_IP, ...(advertised ? [advertised] : [])] });
  const frontProxy = ensureFrontProxyPki(dataDir, { now: new Date(), log: { info: (m) => log.info(m) } });
  // KMS v2 providers are primed (one Status and a seed) before anything is read or written.
  // Made before the server that serves them (/metrics): the store is opened first.
  const encryptionMetrics = opts.encryption || opts.encryptionReload ? new EncryptionMetrics(apiServerId(hostname())) : undefined;
  const encryption = opts.encryptionReload
    ? await openReloadingEncryption({ ...opts.encryptionReload, recorder: encryptionMetrics, log: { info: (m) => log.info(m), error: (m) => log.error(m) } })
    : opts.encryption
      ? await openEncryption(opts.encryption, { recorder: encryptionMetrics })
      : undefined;
  const sqlite = opts.etcd ? undefined : openSqliteStore({ path: join(dataDir, 'state.db'), durability: opts.durability ?? 'full' });
  const etcdClient = opts.etcd && createEtcdClient(opts.etcd);
  const leaseMetrics = opts.etcd ? new EtcdLeaseMetrics() : undefined;
  const opened = sqlite ?? (await openEtcdStore({ client: etcdClient!, watchClients: createMemberClients(opts.etcd!), prefix: opts.etcd!.prefix, leases: { onGrant: leaseMetrics!.observe } }));
  // Events stored without an expiry (before --event-ttl, or while it was 0) are given one in the background.
  const backing = withKeyTtl(opened, [{ prefix: EVENTS_PREFIX, ttlSeconds: opts.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS, writtenAt: eventWrittenAt }], {
    onError: (err) => log.warn({ err }, 'giving stored Events an expiry failed; trying again'),
    onDone: (prefix, given) => given > 0 && log.info({ prefix, given }, 'Events stored without an expiry were given one (--event-ttl)'),
  });
  // The watch cache holds objects; only what reaches the store is encrypted (upstream's transformer sits there too).
  const beneath = encryption ? encryptingStore(backing, encryption.transformers) : backing;
  const uncached = uncachedPrefixes(opts.watchCacheFlags);
  const store = uncached ? createWatchCache(beneath, { ...opts.watchCache, uncached: [...uncached, ...(opts.watchCache?.uncached ?? [])] }) : beneath;
  // Undone in reverse order by close(), or when the start fails part way.
  const undo: Array<() => unknown> = [() => encryption?.close(), () => store.close()];
  const close = async () => {
    for (const u of undo.splice(0).reverse()) {
      try {
        await u();
      } catch (err) {
        log.error({ err }, 'error while shutting down');
      }
    }
  };
  try {
    // `portcullis snapshot save` while this server runs: it holds state.db's lock, so it takes the copy.
    const snapshots = sqlite ? await serveSnapshots(dataDir, sqlite, log) : undefined;
    if (snapshots) undo.push(() => snapshots.close());
    // --client-ca-file adds CAs whose client certificates are accepted; the cluster CA always is.
    const clientCaPem = opts.authn?.clientCaPem ? `${pki.caCertPem}\n${opts.authn.clientCaPem}` : pki.caCertPem;
    const sa = serviceAccountTokens(dataDir, opts.serviceAccounts ?? {}, store, () => new Date());
    // Upstream's order of token methods: token file, service accounts, OIDC, webhook.
    const oidc = buildOidcAuthenticators({ ...opts.oidc, now: () => new Date(), disallowedIssuers: sa.issuers });
    const authn = { ...opts.authn, tokenAuthenticators: [...(opts.authn?.tokenAuthenticators ?? []), sa.authenticator, ...oidc.authenticators] };
    const authz = await setUpAuthorization(opts.authorizationModes ?? ['Node', 'RBAC'], store, () => new Date(), randomUUID, log, opts.authorizationFiles);
    undo.push(() => authz.stop());
    // Closed after the server (undo runs in reverse): the last requests' records are flushed.
    const auditor = buildAuditor(opts.audit, dataDir, log);
    if (auditor) undo.push(() => auditor.close());
    const server = buildServer({ now: opts.now, tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem, clientCaPem }, store, logger: log, authn, tokenRequest: sa.tokenRequest, apiAudiences: sa.audiences, admission: opts.admission, authorizers: authz.authorizers, rbac: authz.rbac, watch: opts.watch, auditor, kubeletClient: await kubeletClientIdentity({ certPem: pki.caCertPem, keyPem: pki.caKeyPem }, new Date()), storageSize: sqlite ? { clusterId: 'sqlite', bytes: () => sqliteFilesBytes(join(dataDir, 'state.db')) } : { clusterId: 'etcd-0', bytes: () => etcdDbSize(etcdClient!) }, flowControl: opts.flowControl });
    // Upstream adds the KMS plugins' check to /healthz, /livez and /readyz (AddHealthChecks).
    if (encryption?.healthCheck) server.ctx.healthChecks = [encryption.healthCheck];
    if (encryptionMetrics && server.ctx.metrics) encryptionMetrics.register(server.ctx.metrics.registry);
    if (leaseMetrics && server.ctx.metrics) leaseMetrics.register(server.ctx.metrics.registry);
    if (opts.serviceNodePortRange) server.ctx.serviceNodePortRange = opts.serviceNodePortRange;
    server.ctx.allowPrivileged = opts.allowPrivileged === true;
    undo.push(async () => {
      // Plugins that follow the store (webhook configurations) stop before it closes.
      for (const p of [...server.ctx.admission.mutating, ...server.ctx.admission.validating]) (p as { close?: () => void }).close?.();
      await server.app.close();
    });
    const host = opts.bindAddress.includes(':') ? `[${opts.bindAddress}]` : opts.bindAddress;
    const kubeconfigPath = join(dataDir, 'admin.kubeconfig');
    // What needs the port the server is reached on.
    const finish = async (port: number) => {
      await bootstrap(server.ctx, port);
      server.ctx.oidcDiscovery = await sa.discovery(`${host}:${port}`, log);
      writeKubeconfig(kubeconfigPath, renderKubeconfig({ server: `https://${host}:${port}`, caCertPem: pki.caCertPem, clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem, userName: 'admin' }));
    };
    if (opts.port !== 0) await finish(opts.port);
    await server.app.listen({ port: opts.port, host: opts.bindAddress, backlog: listenBacklog() });
    const addr = server.app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    if (opts.port === 0) await finish(port);
    if (advertised) undo.push(startKubernetesEndpoints(server.ctx, { ip: advertised, port }));
    else log.info({ bindAddress: opts.bindAddress }, 'the kubernetes Service gets no endpoints: the API server has no address pods can reach (set --advertise-address or a non-loopback --bind-address)');
    // The front-proxy certificate aggregated API servers are shown (front-proxy-ca, made at the
    // start with the cluster PKI), unless the caller brings one; published in extension-apiserver-authentication.
    const aggregation = { ...opts.aggregation, proxyClientCert: opts.aggregation?.proxyClientCert ?? { certPem: frontProxy.clientCertPem, keyPem: frontProxy.clientKeyPem } };
    if (!opts.aggregation?.proxyClientCert) await publishAuthenticationTrust(server.ctx, { clientCaPem, requestHeaderCaPem: frontProxy.caCertPem, allowedNames: [FRONT_PROXY_CLIENT_CN] });
    for (const stop of [
      startCrdController(server.ctx),
      // APF's mandatory and suggested objects, reconciled every minute as upstream's ensurer does.
      startFlowControlEnsurer(server.ctx),
      startCompactor(store, COMPACTION_INTERVAL_MS, (err) => log.error({ err }, 'compaction failed')),
      startAggregation(server.ctx, aggregation),
      startNodePortRepair(server.ctx),
      startClusterIPRepair(server.ctx, hostname()),
    ]) {
      undo.push(stop);
    }
    // The controller manager and the scheduler reach this server as any client would: loopback
    // HTTPS, each with its own client certificate from the cluster CA (k3s does the same). Every
    // controller runs there, under its leader election, the core ones (service accounts, root CA,
    // quota, namespaces, garbage collection) included: no controller writes the store directly.
    // Which resources exist is read from this server's registry (as data), as its discovery.
    const ca = { certPem: pki.caCertPem, keyPem: pki.caKeyPem };
    const mintIdentity = (id: ComponentIdentity) => mintClientIdentity(ca, id, { now: new Date() });
    const loopbackHost = opts.bindAddress === '0.0.0.0' ? '127.0.0.1' : opts.bindAddress === '::' ? '[::1]' : host;
    const loopback = `https://${loopbackHost}:${port}`;
    // Upstream's holderIdentity: <hostname>_<uuid>, fresh per start.
    const election = () => ((opts.leaderElect ?? true) ? { identity: `${hostname()}_${randomUUID()}` } : false);
    let controllerManager: ControllerManager | undefined;
    // As kubeadm's --controllers=*,tokencleaner: with bootstrap tokens accepted, expired ones are deleted.
    const extra = [...(opts.clusterCIDR ? ['node-ipam-controller'] : []), ...(opts.authn?.enableBootstrapTokenAuth ? ['token-cleaner-controller'] : [])];
    const controllers = extra.length ? [...(opts.controllers ?? ['*']), ...extra] : opts.controllers;
    if (opts.componentsInWorker) {
      const w = await startComponentsWorker({ server: loopback, caCertPem: pki.caCertPem, caKeyPem: pki.caKeyPem, controllers: opts.controllers?.length === 0 ? undefined : [...(controllers ?? ['*'])], clusterCIDR: opts.clusterCIDR, scheduler: opts.scheduler ?? true, parallelBinds: opts.schedulerParallelBinds, leaderElect: opts.leaderElect ?? true, logLevel: log.level, schedulerSettings: opts.schedulerSettings });
      undo.push(() => w.stop());
    }
    if (opts.controllers?.length !== 0) {
      if (!opts.componentsInWorker) {
        const cm = await startControllerManager({ server: loopback, mintIdentity, controllers, clusterCIDR: opts.clusterCIDR, leaderElection: election(), discovery: discoveryFromRegistry(server.ctx.registry), rootCaPem: pki.caCertPem, clusterSigningCa: { certPem: pki.caCertPem, keyPem: pki.caKeyPem }, log: log.child({ component: 'kube-controller-manager' }) });
        undo.push(() => cm.stop());
        controllerManager = cm;
      }
      // The default local-path StorageClass, through the API as the admin (k3s's local-storage addon).
      if (selectControllers(opts.controllers ?? ['*']).some((c) => c.name === PV_BINDER)) {
        const admin = new RestClient({ server: loopback, identity: { caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem }, userAgent: 'portcullis-addons' });
        try {
          await ensureLocalPathClass(admin);
        } catch (err) {
          log.error({ err }, 'the default StorageClass local-path could not be created');
        } finally {
          admin.close();
        }
      }
    }
    if (opts.adminNetworkPolicies) {
      // The admin network policy kinds, through the API as the admin (an addon, as upstream installs them).
      const admin = new RestClient({ server: loopback, identity: { caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem }, userAgent: 'portcullis-addons' });
      try {
        await ensureAdminPolicyCrds(admin);
      } catch (err) {
        log.error({ err }, 'the AdminNetworkPolicy CRDs could not be installed');
      } finally {
        admin.close();
      }
    }
    let scheduler: SchedulerProcess | undefined;
    if ((opts.scheduler ?? true) && !opts.componentsInWorker) {
      const s = await startSchedulerProcess({ server: loopback, mintIdentity, leaderElection: election(), parallelBinds: opts.schedulerParallelBinds, log: log.child({ component: 'kube-scheduler' }), ...opts.schedulerSettings });
      undo.push(() => s.stop());
      scheduler = s;
    }
    return { url: `https://${host}:${port}`, port, pki, kubeconfigPath, server, store, controllerManager, scheduler, auditor, durability: () => sqlite?.durabilityInfo(), close };
  } catch (err) {
    await close();
    throw err;
  }
}
