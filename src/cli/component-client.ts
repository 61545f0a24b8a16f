/**
 * What the commands that run one component as its own process against a cluster (agent,
 * controller-manager, scheduler, webhook, netpol, sim, explain) share: the --kubeconfig flag, the
 * client config read from it, and staying up until stopped. A module of its own so that one
 * command's process does not load another's (the agent imported these from the controller
 * manager's and the simulator's commands, and with them every controller and the simulator:
 * about 19 MiB of its resident memory).
 */
import { loadWebhookKubeconfig } from '../authn/webhook-token.ts';
import type { ClientConfig } from '../cluster/client/types.ts';
import { flag, type ParsedArgs } from './args.ts';

const USER_AGENT = 'portcullis-sim';

/** The cluster and identity of the kubeconfig's current context. */
export function clientConfigFromKubeconfig(path: string): ClientConfig {
  let ep;
  try {
    ep = loadWebhookKubeconfig(path);
  } catch (err) {
    // One kubeconfig reader serves the webhooks and this; say which file it was about.
    throw new Error((err as Error).message.replace(/^webhook config /, 'kubeconfig '));
  }
  // The simulator trusts the cluster's CA only, never the system roots.
  if (ep.caPem === undefined) throw new Error(`kubeconfig '${path}': the cluster has no certificate-authority`);
  if (ep.certPem === undefined && ep.bearerToken === undefined) throw new Error(`kubeconfig '${path}': the user has neither a client certificate nor a token`);
  return {
    server: ep.url.origin,
    identity: { caPem: ep.caPem, ...(ep.certPem ? { certPem: ep.certPem, keyPem: ep.keyPem } : {}), ...(ep.bearerToken ? { token: ep.bearerToken } : {}) },
    userAgent: USER_AGENT,
  };
}

/**
 * Resolves on `stopSignal`, or on SIGINT/SIGTERM when none is given. The process stays up until
 * then: a standby candidate has nothing but unref'd retry timers (client timers never hold a
 * process), and signal listeners do not keep Node running either, so without this a manager that
 * is not the leader exited at once.
 */
export async function untilStopped(stopSignal?: Promise<void>): Promise<void> {
  const alive = setInterval(() => {}, 2 ** 30);
  try {
    await (stopSignal ?? new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    }));
  } finally {
    clearInterval(alive);
  }
}

export function kubeconfigFlag(args: ParsedArgs): string {
  const path = flag(args, 'kubeconfig', '') || process.env.KUBECONFIG || '';
  if (!path) throw new Error('--kubeconfig is required');
  return path;
}
