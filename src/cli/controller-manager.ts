/**
 * `portcullis controller-manager --kubeconfig FILE`: the controller manager as its own process,
 * as the kubeconfig's identity (system:kube-controller-manager: `portcullis kubeconfig --user
 * system:kube-controller-manager`). With one credential only, every controller acts as it, as
 * upstream does without --use-service-account-credentials; `portcullis up` gives each controller
 * its own identity instead.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { ApiClient, ClientConfig } from '../cluster/client/types.ts';
import { startControllerManager } from '../cluster/controller-manager.ts';
import { CONTROLLERS, selectControllers } from '../cluster/controllers/registry.ts';
import { boolFlag, commaList, durationFlag, flag, parseCommand, type ParsedArgs } from './args.ts';
import { clientConfigFromKubeconfig, kubeconfigFlag, untilStopped } from './component-client.ts';
import { startApiDiscovery, type DiscoveryClient } from '../cluster/client/api-discovery.ts';
import { kubernetesUserAgent } from '../util/http/user-agent.ts';

function isDiscoveryClient(c: ApiClient): c is ApiClient & DiscoveryClient {
  return typeof (c as Partial<DiscoveryClient>).getPath === 'function';
}

export const LEADER_ELECTION_FLAGS = ['leader-elect-lease-duration', 'leader-elect-renew-deadline', 'leader-elect-retry-period'] as const;

/** --leader-elect and its timing flags, upstream's defaults (15s, 10s, 2s). */
export function leaderElectionFromFlags(args: ParsedArgs) {
  if (!boolFlag(args, 'leader-elect', true)) return false as const;
  return {
    identity: `${hostname()}_${randomUUID()}`,
    leaseDurationMs: durationFlag(args, 'leader-elect-lease-duration', '15s'),
    renewDeadlineMs: durationFlag(args, 'leader-elect-renew-deadline', '10s'),
    retryPeriodMs: durationFlag(args, 'leader-elect-retry-period', '2s'),
  };
}

export { kubeconfigFlag, untilStopped };

export async function runControllerManager(argv: string[], out: (s: string) => void, makeClient: (c: ClientConfig) => ApiClient, stopSignal?: Promise<void>): Promise<number> {
  const args = parseCommand(argv, { name: 'controller-manager', booleans: ['leader-elect'], flags: ['kubeconfig', 'controllers', 'cluster-cidr', 'log-level', ...LEADER_ELECTION_FLAGS] });
  const controllers = commaList(args, 'controllers');
  const clusterCIDR = flag(args, 'cluster-cidr', '') || undefined;
  // As --allocate-node-cidrs: a cluster CIDR turns the node IPAM controller on (unless --controllers says -node-ipam-controller first).
  const spec = [...(controllers.length ? controllers : ['*']), ...(clusterCIDR ? ['node-ipam-controller'] : [])];
  selectControllers(spec, CONTROLLERS);
  const leaderElection = leaderElectionFromFlags(args);
  const config = clientConfigFromKubeconfig(kubeconfigFlag(args));
  const log = pino({ level: flag(args, 'log-level', 'info') });
  // The namespace, quota and garbage-collector controllers act on every served resource: read
  // from the API's discovery documents here (the in-process manager of `up` reads the registry).
  const discoClient = makeClient({ ...config, userAgent: kubernetesUserAgent('kube-controller-manager', 'controller-discovery') });
  const discovery = isDiscoveryClient(discoClient) ? await startApiDiscovery(discoClient, { onError: (err) => log.warn({ err }, 'discovery failed; keeping the last list') }) : undefined;
  const cm = await startControllerManager({
    server: config.server,
    mintIdentity: async () => config.identity,
    useServiceAccountCredentials: false,
    controllers: spec,
    leaderElection,
    log,
    makeClient,
    // --root-ca-file defaults to the CA the kubeconfig trusts, as upstream's does.
    rootCaPem: config.identity.caPem,
    clusterCIDR,
    discovery: discovery ? () => discovery.current() : undefined,
  });
  out(`controller manager against ${config.server}${leaderElection ? ', electing a leader on Lease kube-system/kube-controller-manager' : ''}\n`);
  await untilStopped(stopSignal);
  await cm.stop();
  discovery?.stop();
  discoClient.close();
  return 0;
}
