/**
 * `portcullis scheduler --kubeconfig FILE [--config FILE]`: the scheduler as its own process, as
 * the kubeconfig's identity (system:kube-scheduler), with the profiles of a
 * KubeSchedulerConfiguration file, scheduling while it holds the Lease kube-system/kube-scheduler.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { ApiClient, ClientConfig } from '../cluster/client/types.ts';
import { profilesFromConfig } from '../cluster/scheduler/config.ts';
import { startSchedulerProcess } from '../cluster/scheduler/process.ts';
import { flag, parseCommand } from './args.ts';
import { kubeconfigFlag, LEADER_ELECTION_FLAGS, leaderElectionFromFlags, untilStopped } from './controller-manager.ts';
import { clientConfigFromKubeconfig } from './sim.ts';

export async function runScheduler(argv: string[], out: (s: string) => void, makeClient: (c: ClientConfig) => ApiClient, stopSignal?: Promise<void>): Promise<number> {
  const args = parseCommand(argv, { name: 'scheduler', booleans: ['leader-elect'], flags: ['kubeconfig', 'config', 'log-level', ...LEADER_ELECTION_FLAGS] });
  const configFile = flag(args, 'config', '');
  // A bad configuration stops the scheduler before it connects.
  const profiles = configFile ? profilesFromConfig(readFileSync(configFile, 'utf8')) : undefined;
  const leaderElection = leaderElectionFromFlags(args);
  const config = clientConfigFromKubeconfig(kubeconfigFlag(args));
  const log = pino({ level: flag(args, 'log-level', 'info') });
  const sched = await startSchedulerProcess({ server: config.server, mintIdentity: async () => config.identity, profiles, leaderElection, log, makeClient });
  out(`scheduler against ${config.server}${profiles ? ` with profiles ${profiles.map((p) => p.schedulerName).join(', ')}` : ''}${leaderElection ? ', electing a leader on Lease kube-system/kube-scheduler' : ''}\n`);
  await untilStopped(stopSignal);
  await sched.stop();
  return 0;
}
