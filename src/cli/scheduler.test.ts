import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSchedulerConfig } from '../cluster/scheduler/config.ts';
import { parseCommand } from './args.ts';
import { LEADER_ELECTION_FLAGS } from './controller-manager.ts';
import { leaderElectionWithFlags } from './scheduler.ts';

const HEAD = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';
const args = (...argv: string[]) => parseCommand(argv, { name: 'scheduler', booleans: ['leader-elect'], flags: ['kubeconfig', 'config', ...LEADER_ELECTION_FLAGS] });

test('scheduler: the file\'s leaderElection, with only the --leader-elect* flags that were given on top', () => {
  const file = parseSchedulerConfig(`${HEAD}leaderElection:\n  leaseDuration: 30s\n  renewDeadline: 20s\n  retryPeriod: 3s\n`).leaderElection;
  const fromFile = leaderElectionWithFlags(file, args());
  assert.ok(fromFile);
  assert.deepEqual([fromFile.leaseDurationMs, fromFile.renewDeadlineMs, fromFile.retryPeriodMs], [30_000, 20_000, 3_000]);
  const withFlag = leaderElectionWithFlags(file, args('--leader-elect-retry-period=1s'));
  assert.ok(withFlag);
  assert.deepEqual([withFlag.leaseDurationMs, withFlag.renewDeadlineMs, withFlag.retryPeriodMs], [30_000, 20_000, 1_000]);
  assert.equal(leaderElectionWithFlags(file, args('--leader-elect=false')), false);
  const off = parseSchedulerConfig(`${HEAD}leaderElection:\n  leaderElect: false\n`).leaderElection;
  assert.equal(leaderElectionWithFlags(off, args()), false);
  assert.ok(leaderElectionWithFlags(off, args('--leader-elect=true')), 'the flag given turns it back on');
});
