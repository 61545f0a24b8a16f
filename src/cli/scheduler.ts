/**
 * `portcullis scheduler --kubeconfig FILE [--config FILE]`: the scheduler as its own process, as
 * the kubeconfig's identity (system:kube-scheduler), with the profiles of a
 * KubeSchedulerConfiguration file, scheduling while it holds the Lease kube-system/kube-scheduler.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { ApiClient, ClientConfig } from '../cluster/client/types.ts';
import { parseSchedulerConfig, type SchedulerConfig, type SchedulerLeaderElection } from '../cluster/scheduler/config.ts';
import { SCHEDULER_LEASE, startSchedulerProcess, type SchedulerFileSettings } from '../cluster/scheduler/process.ts';
import { flag, parseCommand, type ParsedArgs } from './args.ts';
import { kubeconfigFlag, LEADER_ELECTION_FLAGS, leaderElectionFromFlags, untilStopped } from './controller-manager.ts';
import { clientConfigFromKubeconfig } from './sim.ts';

export async function runScheduler(argv: string[], out: (s: string) => void, makeClient: (c: ClientConfig) => ApiClient, stopSignal?: Promise<void>): Promise<number> {
  const args = parseCommand(argv, { name: 'scheduler', booleans: ['leader-elect'], flags: ['kubeconfig', 'config', 'log-level', ...LEADER_ELECTION_FLAGS] });
  const configFile = flag(args, 'config', '');
  // A bad configuration stops the scheduler before it connects.
  const file = configFile ? parseSchedulerConfig(readFileSync(configFile, 'utf8')) : undefined;
  const settings: ReturnType<typeof schedulerFileSettings> = file ? schedulerFileSettings(file, args) : { leaderElection: leaderElectionFromFlags(args), lease: SCHEDULER_LEASE };
  const { profiles, leaderElection, lease } = settings;
  // clientConnection.kubeconfig when --kubeconfig is not given (upstream: the flag wins when set).
  const kubeconfig = flag(args, 'kubeconfig', '') || file?.clientConnection.kubeconfig || kubeconfigFlag(args);
  const config = clientConfigFromKubeconfig(kubeconfig);
  const log = pino({ level: flag(args, 'log-level', 'info') });
  const sched = await startSchedulerProcess({ server: config.server, mintIdentity: async () => config.identity, log, makeClient, ...settings });
  out(`scheduler against ${config.server}${profiles ? ` with profiles ${profiles.map((p) => p.schedulerName).join(', ')}` : ''}${leaderElection ? `, electing a leader on Lease ${lease.namespace}/${lease.name}` : ''}\n`);
  await untilStopped(stopSignal);
  await sched.stop();
  return 0;
}

/**
 * What a KubeSchedulerConfiguration sets on the scheduler process: its profiles, backoff and client
 * settings, and its leaderElection with the command's --leader-elect* flags on top. `portcullis
 * scheduler --config` and `portcullis up --scheduler-config` both resolve the file through here.
 */
export function schedulerFileSettings(file: SchedulerConfig, args: ParsedArgs): SchedulerFileSettings & { lease: { namespace: string; name: string } } {
  const cc = file.clientConnection;
  return {
    profiles: file.profiles,
    leaderElection: leaderElectionWithFlags(file.leaderElection, args),
    lease: { namespace: file.leaderElection.resourceNamespace, name: file.leaderElection.resourceName },
    backoff: { initialMs: file.podInitialBackoffMs, maxMs: file.podMaxBackoffMs },
    protobuf: cc.protobuf,
    ...(cc.qps !== undefined && { rateLimit: { qps: cc.qps, burst: cc.burst ?? 100 } }),
  };
}

/**
 * `portcullis up --scheduler-config FILE`: the file read and checked as `portcullis scheduler
 * --config` reads it, before anything starts. The scheduler of `up` reaches its own server with an
 * identity minted from the cluster CA, so a clientConnection.kubeconfig would be ignored: refused.
 */
export function upSchedulerSettings(args: ParsedArgs): SchedulerFileSettings | undefined {
  const path = flag(args, 'scheduler-config', '');
  if (!path) return undefined;
  const file = parseSchedulerConfig(readFileSync(path, 'utf8'));
  if (file.clientConnection.kubeconfig) {
    throw new Error('scheduler config: clientConnection.kubeconfig: Forbidden: not used by portcullis up (its scheduler connects to this server with its own identity); remove it');
  }
  return schedulerFileSettings(file, args);
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
