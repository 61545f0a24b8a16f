/**
 * `portcullis scheduler --kubeconfig FILE [--config FILE]`: the scheduler as its own process, as
 * the kubeconfig's identity (system:kube-scheduler), with the profiles of a
 * KubeSchedulerConfiguration file, scheduling while it holds the Lease kube-system/kube-scheduler.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { ApiClient, ClientConfig } from '../cluster/client/types.ts';
import { parseSchedulerConfig, type SchedulerLeaderElection } from '../cluster/scheduler/config.ts';
import { SCHEDULER_LEASE, startSchedulerProcess } from '../cluster/scheduler/process.ts';
import { flag, parseCommand, type ParsedArgs } from './args.ts';
import { kubeconfigFlag, LEADER_ELECTION_FLAGS, leaderElectionFromFlags, untilStopped } from './controller-manager.ts';
import { clientConfigFromKubeconfig } from './sim.ts';

export async function runScheduler(argv: string[], out: (s: string) => void, makeClient: (c: ClientConfig) => ApiClient, stopSignal?: Promise<void>): Promise<number> {
  const args = parseCommand(argv, { name: 'scheduler', booleans: ['leader-elect'], flags: ['kubeconfig', 'config', 'log-level', ...LEADER_ELECTION_FLAGS] });
  const configFile = flag(args, 'config', '');
  // A bad configuration stops the scheduler before it connects.
  const file = configFile ? parseSchedulerConfig(readFileSync(configFile, 'utf8')) : undefined;
  const profiles = file?.profiles;
  const leaderElection = file ? leaderElectionWithFlags(file.leaderElection, args) : leaderElectionFromFlags(args);
  const lease = file ? { namespace: file.leaderElection.resourceNamespace, name: file.leaderElection.resourceName } : SCHEDULER_LEASE;
  // clientConnection.kubeconfig when --kubeconfig is not given (upstream: the flag wins when set).
  const kubeconfig = flag(args, 'kubeconfig', '') || file?.clientConnection.kubeconfig || kubeconfigFlag(args);
  const config = clientConfigFromKubeconfig(kubeconfig);
  const log = pino({ level: flag(args, 'log-level', 'info') });
  const sched = await startSchedulerProcess({
    server: config.server,
    mintIdentity: async () => config.identity,
    profiles,
    leaderElection,
    lease,
    log,
    makeClient,
    ...(file && { backoff: { initialMs: file.podInitialBackoffMs, maxMs: file.podMaxBackoffMs }, protobuf: file.clientConnection.protobuf, ...(file.clientConnection.qps !== undefined && { rateLimit: { qps: file.clientConnection.qps, burst: file.clientConnection.burst ?? 100 } }) }),
  });
  out(`scheduler against ${config.server}${profiles ? ` with profiles ${profiles.map((p) => p.schedulerName).join(', ')}` : ''}${leaderElection ? `, electing a leader on Lease ${lease.namespace}/${lease.name}` : ''}\n`);
  await untilStopped(stopSignal);
  await sched.stop();
  return 0;
}

/**
 * The file's leaderElection with the --leader-elect* flags given on the command line on top, as
 * upstream's ApplyLeaderElectionTo (a flag overrides the file only when it was set).
 */
export function leaderElectionWithFlags(file: SchedulerLeaderElection, args: ParsedArgs) {
  const set = (name: string) => args.flags.has(name);
  const flags = leaderElectionFromFlags(args);
  if (!flags || (!set('leader-elect') && !file.leaderElect)) return false as const;
  return {
    identity: flags.identity,
    leaseDurationMs: set('leader-elect-lease-duration') ? flags.leaseDurationMs : file.leaseDurationMs,
    renewDeadlineMs: set('leader-elect-renew-deadline') ? flags.renewDeadlineMs : file.renewDeadlineMs,
    retryPeriodMs: set('leader-elect-retry-period') ? flags.retryPeriodMs : file.retryPeriodMs,
  };
}
