/**
 * What the commands that run one component as its own process against a cluster (agent,
 * controller-manager, scheduler, webhook, netpol, sim, explain) share: the --kubeconfig flag, the
 * client config read from it, and staying up until stopped. A module of its own so that one
 * command's process does not load another's (the agent imported these from the controller
 * manager's and the simulator's commands, and with them every controller and the simulator:
 * about 19 MiB of its resident memory).
 */
import type { ClientConfig } from '../cluster/client/types.ts';
import { kubeconfigPathList, loadKubeconfig, loadKubeconfigFiles } from '../util/kubeconfig.ts';
import { flag, type ParsedArgs } from './args.ts';

const USER_AGENT = 'portcullis-sim';

/**
 * The cluster and identity of the kubeconfig's current context: one file (a path, as --kubeconfig),
 * or a list merged as client-go merges KUBECONFIG's (see kubeconfigFlag).
 */
export function clientConfigFromKubeconfig(source: string | readonly string[]): ClientConfig {
  const where = typeof source === 'string' ? `kubeconfig '${source}'` : `KUBECONFIG '${source.join(':')}'`;
  const kc = typeof source === 'string' ? loadKubeconfig(source) : loadKubeconfigFiles(source);
  // The components trust the cluster's CA only, never the system roots.
  if (kc.caPem === undefined) throw new Error(`${where}: the cluster has no certificate-authority`);
  if (kc.certPem === undefined && kc.token === undefined) throw new Error(`${where}: the user has neither a client certificate nor a token`);
  // Requests go to the server's root; a path prefix would be dropped, so it is refused instead.
  if (kc.url.pathname !== '/' || kc.url.search !== '') throw new Error(`${where}: a server with a path is not supported for the components' client`);
  return {
    server: kc.url.origin,
    identity: { caPem: kc.caPem, ...(kc.certPem ? { certPem: kc.certPem, keyPem: kc.keyPem } : {}), ...(kc.token ? { token: kc.token } : {}), ...(kc.tokenFile ? { tokenFile: kc.tokenFile } : {}), ...(kc.tlsServerName ? { serverName: kc.tlsServerName } : {}) },
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

/**
 * Where the kubeconfig comes from, as kubectl's loading rules: --kubeconfig is one file; else
 * KUBECONFIG's list of files (merged; missing ones skipped); neither is an error (a component has
 * no in-cluster or ~/.kube/config fallback).
 */
export function kubeconfigFlag(args: ParsedArgs, missing = '--kubeconfig is required', env: NodeJS.ProcessEnv = process.env): string | string[] {
  const path = flag(args, 'kubeconfig', '');
  if (path) return path;
  const list = kubeconfigPathList(env.KUBECONFIG ?? '');
  if (list.length === 0) throw new Error(missing);
  return list;
}
