/**
 * The controller manager (cmd/kube-controller-manager): one informer factory shared by every
 * controller, listing and watching as system:kube-controller-manager, and for each controller its
 * own client as system:serviceaccount:kube-system:<name> (upstream's
 * --use-service-account-credentials), so RBAC and audit see which controller wrote what. The
 * controllers run only while this manager holds the Lease kube-system/kube-controller-manager.
 */
import { RestClient } from './client/rest-client.ts';
import { SharedInformerFactory, stripManagedFields } from './client/informer.ts';
import { controllerIdentity, KUBE_CONTROLLER_MANAGER, type ComponentIdentity } from './client/identities.ts';
import type { ApiClient, ClientConfig, ClientIdentity, Controller } from './client/types.ts';
import { CONTROLLERS, newControllerQueue, selectControllers, type ControllerDescriptor } from './controllers/registry.ts';
import type { ResourceDiscovery } from './controllers/resource-discovery.ts';
import type { CertKeyPem } from '../pki/ca.ts';
import { runWhileLeading, type GateLog, type LeaderElectionSettings } from './leader-gate.ts';
import { kubernetesUserAgent } from '../util/http/user-agent.ts';
import { ConcurrencyLimit } from '../util/concurrency-limit.ts';

export const CONTROLLER_MANAGER_LEASE = Object.freeze({ namespace: 'kube-system', name: 'kube-controller-manager' });

export interface ControllerManagerOptions {
  /** https://host:port of the API server. */
  server: string;
  /**
   * Credentials for an identity: the manager's own (system:kube-controller-manager) and, with
   * service account credentials, each controller's. A caller holding one credential only
   * (a kubeconfig) returns it for every identity and sets useServiceAccountCredentials false.
   * Asked once per identity, before the election starts (see mintAll).
   */
  mintIdentity(id: ComponentIdentity): Promise<ClientIdentity>;
  /** Default true: each controller as its own service account. */
  useServiceAccountCredentials?: boolean;
  /** --controllers (default ['*']). */
  controllers?: readonly string[];
  /** --leader-elect; false runs the controllers at once (default: elect, with upstream's timing). */
  leaderElection?: LeaderElectionSettings | false;
  /** The controllers to choose from (default: the registry). */
  registry?: readonly ControllerDescriptor[];
  log: GateLog;
  now?: () => number;
  random?: () => number;
  /** The resources served now, for the namespace, quota and garbage collector controllers. */
  discovery?: ResourceDiscovery;
  /** The cluster CA certificate the root CA publisher puts in every namespace (--root-ca-file). */
  rootCaPem?: string;
  /** --cluster-signing-cert-file / --cluster-signing-key-file: the CA the CSR signer issues with. */
  clusterSigningCa?: CertKeyPem;
  /** --cluster-cidr, for the node IPAM controller. */
  clusterCIDR?: string;
  /** Default: a RestClient (tests pass fakes). */
  makeClient?: (config: ClientConfig) => ApiClient;
}

export interface ControllerManager {
  /** Leading (or not electing), with the controllers running. */
  isLeader(): boolean;
  /** The controllers running now, by name. */
  running(): string[];
  /** A running controller's own client (tests ask it who it is). */
  clientOf(name: string): ApiClient | undefined;
  stop(): Promise<void>;
}

/**
 * client-go's DefaultKubernetesUserAgent plus rest.AddUserAgent's suffix, as kube-controller-manager
 * names its clients: a controller's client builder appends the service account's username with
 * --use-service-account-credentials (SAControllerClientBuilder), else the client's name, which
 * is the same service account name (SimpleControllerClientBuilder); the root clients append
 * "leader-election" and "shared-informers". The field manager is the UA's first word.
 */
function userAgent(suffix: string): string {
  return kubernetesUserAgent('kube-controller-manager', suffix);
}

/**
 * Each distinct identity once, at most MINT_CONCURRENCY at a time. Minting is key generation on
 * libuv's thread pool; two at a time keep the pool's other two threads free for file I/O and DNS,
 * and on two cores finish about as soon as four would.
 */
async function mintAll(mint: ControllerManagerOptions['mintIdentity'], ids: readonly ComponentIdentity[]): Promise<Map<string, ClientIdentity>> {
  const unique = [...new Map(ids.map((id) => [id.user, id])).values()];
  const limit = new ConcurrencyLimit(MINT_CONCURRENCY);
  const minted = await Promise.all(unique.map((id) => limit.run(() => mint(id))));
  return new Map(unique.map((id, i) => [id.user, minted[i]!]));
}

const MINT_CONCURRENCY = 2;

/**
 * Resolves once every identity is minted and the election (or, without one, the controllers) has
 * started. Minting up front, rather than on winning the Lease, keeps a leader from stalling its
 * thread on some thirty key generations in a row (3.5 s on the API server's own thread, which
 * served nothing meanwhile) and lets a re-won Lease restart the controllers at once.
 */
export async function startControllerManager(opts: ControllerManagerOptions): Promise<ControllerManager> {
  // Bad --controllers fail here, before anything connects (DESIGN.md habit 6).
  const selected = selectControllers(opts.controllers ?? ['*'], opts.registry ?? CONTROLLERS);
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const makeClient = opts.makeClient ?? ((c: ClientConfig) => new RestClient(c));
  const useSa = opts.useServiceAccountCredentials ?? true;
  const identities = await mintAll(opts.mintIdentity, [KUBE_CONTROLLER_MANAGER, ...(useSa ? selected.map((d) => controllerIdentity(d.serviceAccount)) : [])]);
  const managerIdentity = identities.get(KUBE_CONTROLLER_MANAGER.user)!;
  const clientFor = (component: string, identity: ClientIdentity) => makeClient({ server: opts.server, identity, userAgent: userAgent(component) });
  const electionClient = clientFor('leader-election', managerIdentity);
  const live = new Map<string, { controller: Controller; client: ApiClient }>();

  const run = () => {
    const informerClient = clientFor('shared-informers', managerIdentity);
    // As kube-controller-manager's shared informers (WithTransform(trim)): no controller reads managedFields.
    const informers = new SharedInformerFactory({ client: informerClient, random, log: opts.log, transform: stripManagedFields });
    for (const d of selected) {
      const client = useSa ? clientFor(controllerIdentity(d.serviceAccount).user, identities.get(controllerIdentity(d.serviceAccount).user)!) : clientFor(d.serviceAccount, managerIdentity);
      try {
        const controller = d.start({ client, informers, log: opts.log, now, random, newQueue: () => newControllerQueue(d.name, now), discovery: opts.discovery, caPem: opts.rootCaPem, clusterSigningCa: opts.clusterSigningCa, clusterCIDR: opts.clusterCIDR });
        live.set(d.name, { controller, client });
      } catch (err) {
        client.close();
        opts.log.error({ err, controller: d.name }, 'error starting controller');
      }
    }
    // Handlers are registered by the constructors above; start the informers, then the workers
    // (which wait for the caches they read to sync).
    informers.start();
    for (const d of selected) {
      live.get(d.name)?.controller.run(d.workers);
      if (live.has(d.name)) opts.log.info({ controller: d.name }, 'Started controller');
    }
    return {
      async stop() {
        const all = [...live.values()];
        live.clear();
        // Informers first: a worker still waiting for a cache that never synced (a resource
        // whose list keeps failing) is released by the stop, instead of holding up ours for ever.
        informers.stop();
        await Promise.all(all.map((c) => c.controller.stop()));
        for (const c of all) c.client.close();
        informerClient.close();
      },
    };
  };

  const gate = runWhileLeading(electionClient, CONTROLLER_MANAGER_LEASE, opts.leaderElection || undefined, run, opts.log, { now, random });
  return {
    isLeader: () => gate.isLeader(),
    running: () => [...live.keys()],
    clientOf: (name) => live.get(name)?.client,
    async stop() {
      await gate.stop();
      electionClient.close();
    },
  };
}
