/**
 * The scheduler as a component (cmd/kube-scheduler): one client as system:kube-scheduler, its own
 * informers on nodes, pods and namespaces, the profiles of a KubeSchedulerConfiguration, and
 * scheduling only while it holds the Lease kube-system/kube-scheduler.
 */
import { hostname as osHostname } from 'node:os';
import { RestClient } from '../client/rest-client.ts';
import { rateLimitedClient, type RateLimit } from '../client/rate-limited-client.ts';
import { SharedInformerFactory } from '../client/informer.ts';
import { schedulerTransform } from './informer-transform.ts';
import { KUBE_SCHEDULER, type ComponentIdentity } from '../client/identities.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, ClientConfig, ClientIdentity, K8sObject } from '../client/types.ts';
import { runWhileLeading, type GateLog, type LeaderElectionSettings } from '../leader-gate.ts';
import { kubernetesUserAgent } from '../../util/http/user-agent.ts';
import type { Profile } from './profile.ts';
import type { BackoffSettings } from './queue.ts';
import type { Node, Pod } from './resources.ts';
import { schedulerClientConnections, startScheduler, type RunningScheduler } from './scheduler.ts';

export const SCHEDULER_LEASE = Object.freeze({ namespace: 'kube-system', name: 'kube-scheduler' });

export interface SchedulerProcessOptions {
  server: string;
  /** Credentials for system:kube-scheduler (a kubeconfig's, or minted from the cluster CA). */
  mintIdentity(id: ComponentIdentity): Promise<ClientIdentity>;
  /** From --config (default: upstream's default profile). */
  profiles?: Profile[];
  /** --leader-elect; false schedules at once. */
  leaderElection?: LeaderElectionSettings | false;
  log: GateLog;
  now?: () => number;
  random?: () => number;
  hostname?: string;
  makeClient?: (config: ClientConfig) => ApiClient;
  /** Binds in flight at most (startScheduler's parallelBinds; default there). */
  parallelBinds?: number;
  /** The configuration's podInitialBackoffSeconds / podMaxBackoffSeconds. */
  backoff?: BackoffSettings;
  /** The configuration's leaderElection.resourceNamespace/resourceName (default kube-system/kube-scheduler). */
  lease?: { namespace: string; name: string };
  /** The configuration's clientConnection.contentType: protobuf for the scheduler's client. */
  protobuf?: boolean;
  /** The configuration's clientConnection.qps/burst: a token bucket on the scheduler's requests (default none). */
  rateLimit?: RateLimit;
}

/**
 * What a KubeSchedulerConfiguration file sets on the process, resolved (plain data: `portcullis up`
 * hands it to the components worker): the profiles, the election and its Lease, backoff, the client.
 */
export type SchedulerFileSettings = Pick<SchedulerProcessOptions, 'profiles' | 'leaderElection' | 'lease' | 'backoff' | 'protobuf' | 'rateLimit'>;

export interface SchedulerWiring {
  profiles?: Profile[];
  random: () => number;
  now: () => number;
  log: GateLog;
  hostname: string;
  /** What the informers keep of each object (default schedulerTransform; the bench compares). */
  transform?: (obj: K8sObject) => K8sObject;
  parallelBinds?: number;
  backoff?: BackoffSettings;
  /** Events' client (default the scheduling client). */
  eventClient?: ApiClient;
}

/**
 * The scheduler on its own informers (nodes, pods, namespaces and the ones its plugins ask for),
 * started: what the process runs while leading, and what bench/scheduler-memory.ts measures.
 */
export function startSchedulerWithInformers(client: ApiClient, o: SchedulerWiring): { scheduler: RunningScheduler; informers: SharedInformerFactory } {
  // Less than kube-scheduler's pod informer keeps (it drops managedFields only): see informer-transform.ts.
  const informers = new SharedInformerFactory({ client, random: o.random, log: o.log, transform: o.transform ?? schedulerTransform() });
  const scheduler = startScheduler({
    client,
    informers: {
      nodes: informers.informer<Node>(resources.nodes),
      pods: informers.informer<Pod>(resources.pods),
      namespaces: informers.informer<K8sObject>(resources.namespaces),
    },
    informerFactory: informers,
    profiles: o.profiles,
    random: o.random,
    now: o.now,
    log: o.log,
    hostname: o.hostname,
    parallelBinds: o.parallelBinds,
    backoff: o.backoff,
    eventClient: o.eventClient,
  });
  informers.start();
  return { scheduler, informers };
}

export interface SchedulerProcess {
  isLeader(): boolean;
  /** The scheduler while leading (tests wait on its idle()). */
  current(): RunningScheduler | undefined;
  stop(): Promise<void>;
}

const USER_AGENT = kubernetesUserAgent('kube-scheduler');

/** Resolves once the identity is minted and the election (or, without one, the scheduler) has started. */
export async function startSchedulerProcess(opts: SchedulerProcessOptions): Promise<SchedulerProcess> {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const makeClient = opts.makeClient ?? ((c: ClientConfig) => new RestClient(c));
  const identity = await opts.mintIdentity(KUBE_SCHEDULER);
  const client = makeClient({ server: opts.server, identity, userAgent: `${USER_AGENT}/leader-election` });
  let current: RunningScheduler | undefined;

  const run = () => {
    // A connection for each bind in flight and for its event (scheduler.ts schedulerClientConnections).
    const raw = makeClient({ server: opts.server, identity, userAgent: `${USER_AGENT}/scheduler`, maxConnections: schedulerClientConnections(opts.parallelBinds), ...(opts.protobuf !== undefined && { protobuf: opts.protobuf }) });
    // As upstream's separate event client: Events take tokens from a bucket of their own, not the binds'.
    const schedClient = opts.rateLimit ? rateLimitedClient(raw, opts.rateLimit, now) : raw;
    const eventClient = opts.rateLimit ? rateLimitedClient(raw, opts.rateLimit, now) : raw;
    const { scheduler: sched, informers } = startSchedulerWithInformers(schedClient, { profiles: opts.profiles, random, now, log: opts.log, hostname: opts.hostname ?? osHostname(), parallelBinds: opts.parallelBinds, backoff: opts.backoff, eventClient });
    current = sched;
    return {
      async stop() {
        current = undefined;
        // The loop waits for the informers' first sync: stopping them lets it end if they never did.
        const stopped = sched.stop();
        informers.stop();
        await stopped;
        schedClient.close();
      },
    };
  };

  const gate = runWhileLeading(client, opts.lease ?? SCHEDULER_LEASE, opts.leaderElection || undefined, run, opts.log, { now, random });
  return {
    isLeader: () => gate.isLeader(),
    current: () => current,
    async stop() {
      await gate.stop();
      client.close();
    },
  };
}
