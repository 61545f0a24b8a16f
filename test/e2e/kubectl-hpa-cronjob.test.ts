import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCluster } from '../helpers/cluster.ts';
import { startSimCluster, type SimCluster } from '../helpers/sim-cluster.ts';
import { startControllersWithClock } from '../helpers/controllers-with-clock.ts';
import { kubectlSkip } from '../helpers/kubectl.ts';
import { kubectlSession, until } from '../helpers/kubectl-session.ts';
import type { ControllerManager } from '../../src/cluster/controller-manager.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';

/**
 * A CronJob firing on schedule, through kubectl 1.33 on simulated nodes. The cluster runs every
 * controller but the CronJob controller; the test runs that one itself on a clock it sets a few
 * seconds before a minute boundary, so `*\/1 * * * *` fires without waiting for a real minute, and
 * the Job it makes runs to completion through the real Job controller, scheduler and nodes.
 */
const MINOR = 33;
const NS = 'cron';
const MINUTE = 60_000;
let c: TestCluster;
let cluster: SimCluster | undefined;
let cronControllers: ControllerManager | undefined;
/** The CronJob controller's clock is the wall clock plus this. */
let offset = 0;
const cronNow = () => Date.now() + offset;
/** Puts the CronJob controller's clock `ms` before its next minute boundary; returns that boundary. */
function clockBeforeBoundary(ms: number): number {
  const t = Date.now();
  const boundary = (Math.floor((t + offset) / MINUTE) + 1) * MINUTE;
  offset = boundary - ms - t;
  return boundary;
}

const skip = kubectlSkip(MINOR);

before(async () => {
  if (skip) return;
  cluster = await startSimCluster({ count: 2, leaseRenewMs: 2_000, jobRunTimeMs: 500 }, { controllers: ['*', '-cronjob-controller'] });
  ({ c } = cluster);
  cronControllers = startControllersWithClock(c, ['cronjob-controller'], cronNow);
});
after(async () => {
  await cronControllers?.stop();
  await cluster?.close();
});

const { kubectl, json } = kubectlSession(MINOR, () => c.cp.kubeconfigPath);

const jobsOf = async (cronJob: string): Promise<K8sObject[]> =>
  ((await json(['get', 'jobs', '-n', NS])).items as K8sObject[]).filter((j) => j.metadata.ownerReferences?.some((r: { kind: string; name: string }) => r.kind === 'CronJob' && r.name === cronJob));

describe('kubectl 1.33: CronJob on schedule, on simulated nodes', { skip }, () => {
  test('*/1 fires at the minute: the Job is named for it, runs to completion on a node, and the CronJob records it', async () => {
    await kubectl(['create', 'namespace', NS]);
    const first = clockBeforeBoundary(3_000);
    await kubectl(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *', '-n', NS, '--', 'date']);
    const [job] = await until('the first Job', async () => {
      const jobs = await jobsOf('tick');
      return jobs.length > 0 ? jobs : undefined;
    });
    assert.equal(job!.metadata.name, `tick-${first / MINUTE}`);
    assert.equal(job!.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(first).toISOString().replace(/\.000Z$/, 'Z'));
    const w = await kubectl(['wait', '--for=condition=complete', `job/${job!.metadata.name}`, '-n', NS, '--timeout=60s'], undefined, 70_000);
    assert.match(w.stdout, /condition met/);
    const pods = (await json(['get', 'pods', '-n', NS, '-l', `job-name=${job!.metadata.name}`])).items as K8sObject[];
    assert.equal(pods.length, 1);
    assert.equal(pods[0]!.status.phase, 'Succeeded');
    assert.match(pods[0]!.spec.nodeName, /^sim-node-/);
    const cj = await until('lastSuccessfulTime', async () => {
      const x = await json(['get', 'cronjob', 'tick', '-n', NS]);
      return x.status?.lastSuccessfulTime ? x : undefined;
    });
    assert.equal(cj.status.lastScheduleTime, new Date(first).toISOString().replace(/\.000Z$/, 'Z'));
    assert.equal(cj.status.active, undefined);
    const events = ((await json(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=tick'])).items as K8sObject[]).map((e) => `${e.reason} ${e.message}`);
    assert.ok(events.includes(`SuccessfulCreate Created job ${job!.metadata.name}`), events.join('\n'));
    assert.ok(events.includes(`SawCompletedJob Saw completed job: ${job!.metadata.name}, condition: Complete`), events.join('\n'));
    const table = (await kubectl(['get', 'cronjob', 'tick', '-n', NS])).stdout;
    assert.match(table, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE/m);
    assert.match(table, /^tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+\S+\s+/m);
  });
});
