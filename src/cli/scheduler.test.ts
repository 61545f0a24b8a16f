import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSchedulerConfig } from '../cluster/scheduler/config.ts';
import { parseCommand } from './args.ts';
import { LEADER_ELECTION_FLAGS } from './controller-manager.ts';
import { leaderElectionWithFlags, schedulerFileSettings, upSchedulerSettings } from './scheduler.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

test('up --scheduler-config: the file resolved as scheduler --config resolves it (profiles, Lease, backoff, client), up\'s --leader-elect on top', () => {
  const dir = mkdtempSync(join(tmpdir(), 'up-sched-'));
  try {
    const file = join(dir, 's.yaml');
    writeFileSync(file, `${HEAD}podInitialBackoffSeconds: 2\npodMaxBackoffSeconds: 20\nclientConnection:\n  contentType: application/vnd.kubernetes.protobuf\n  qps: 50\nleaderElection:\n  resourceNamespace: sched\n  resourceName: mine\nprofiles:\n  - schedulerName: a\n  - schedulerName: b\n`);
    const upArgs = (...argv: string[]) => parseCommand(argv, { name: 'up', booleans: ['leader-elect'], flags: ['scheduler-config'] });
    assert.equal(upSchedulerSettings(upArgs()), undefined);
    const s = upSchedulerSettings(upArgs('--scheduler-config', file))!;
    assert.deepEqual(s.profiles!.map((p) => p.schedulerName), ['a', 'b']);
    assert.deepEqual([s.lease, s.backoff, s.protobuf, s.rateLimit], [{ namespace: 'sched', name: 'mine' }, { initialMs: 2_000, maxMs: 20_000 }, true, { qps: 50, burst: 100 }]);
    assert.ok(s.leaderElection && s.leaderElection.leaseDurationMs === 15_000);
    assert.equal(upSchedulerSettings(upArgs('--scheduler-config', file, '--leader-elect=false'))!.leaderElection, false);
    // Plain data: it crosses into the components worker.
    assert.deepEqual(structuredClone(s), s);
    // The same resolution as portcullis scheduler --config.
    assert.deepEqual({ ...schedulerFileSettings(parseSchedulerConfig(readFileSync(file, 'utf8')), args()), leaderElection: undefined }, { ...s, leaderElection: undefined });
    writeFileSync(file, `${HEAD}clientConnection:\n  kubeconfig: /x\n`);
    assert.throws(() => upSchedulerSettings(upArgs('--scheduler-config', file)), /^Error: scheduler config: clientConnection\.kubeconfig: Forbidden: not used by portcullis up/);
    writeFileSync(file, `${HEAD}profiles:\n  - schedulerName: a\n    pluginConfig:\n      - name: NodeResourcesFit\n        arg: {}\n`);
    assert.throws(() => upSchedulerSettings(upArgs('--scheduler-config', file)), /strict decoding error: unknown field "profiles\[0\]\.pluginConfig\[0\]\.arg"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
