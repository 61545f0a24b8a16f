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
 * An HPA scaling a Deployment on simulated CPU, and a CronJob firing on schedule, through kubectl
 * 1.33 on simulated nodes. The nodes serve metrics.k8s.io as `portcullis sim nodes` does (an
 * APIService over a Service whose endpoint is this host's address), so `kubectl top` and the HPA
 * controller read usage through the aggregation layer. The cluster runs every
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
  cluster = await startSimCluster({ count: 2, leaseRenewMs: 2_000, jobRunTimeMs: 500 }, { controllers: ['*', '-cronjob-controller'], metrics: true });
  ({ c } = cluster);
  cronControllers = await startControllersWithClock(c, ['cronjob-controller'], cronNow);
});
after(async () => {
  await cronControllers?.stop();
  await cluster?.close();
});

const { run, kubectl, json } = kubectlSession(MINOR, () => c.cp.kubeconfigPath);

const jobsOf = async (cronJob: string): Promise<K8sObject[]> =>
  ((await json(['get', 'jobs', '-n', NS])).items as K8sObject[]).filter((j) => j.metadata.ownerReferences?.some((r: { kind: string; name: string }) => r.kind === 'CronJob' && r.name === cronJob));

describe('kubectl 1.33: HPA and CronJob on simulated nodes', { skip }, () => {
  test('kubectl top pods; kubectl autoscale scales a Deployment on simulated CPU to its maximum', async () => {
    await kubectl(['create', 'namespace', 'hpa']);
    // Every pod uses 200m of CPU against a request of 100m: 200% of its request.
    await kubectl(['apply', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: hpa}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.portcullis.dev/cpu-usage: 200m, sim.portcullis.dev/memory-usage: 64Mi}
    spec:
      containers: [{name: web, image: nginx, resources: {requests: {cpu: 100m, memory: 64Mi}}}]
`);
    await kubectl(['rollout', 'status', 'deployment/web', '-n', 'hpa', '--timeout=90s'], undefined, 100_000);
    const top = await until('kubectl top pods', async () => {
      const r = await run(['top', 'pods', '-n', 'hpa']);
      return r.code === 0 && /web-/.test(r.stdout) ? r.stdout : undefined;
    });
    assert.match(top, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/m);
    assert.match(top, /^web-\S+\s+200m\s+64Mi\s*$/m);
    await kubectl(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=4', '-n', 'hpa']);
    // 1 pod at 200% of a 50% target wants 4; 4 such pods want 16, held at the maximum.
    const hpa = await until('the HPA at its maximum', async () => {
      const h = await json(['get', 'hpa', 'web', '-n', 'hpa']);
      return h.status?.currentReplicas === 4 && h.status?.conditions?.some((c: K8sObject) => c.type === 'ScalingLimited' && c.status === 'True') ? h : undefined;
    });
    const limited = hpa.status.conditions.find((c: K8sObject) => c.type === 'ScalingLimited');
    assert.deepEqual([limited.reason, limited.message], ['TooManyReplicas', 'the desired replica count is more than the maximum replica count']);
    assert.equal(hpa.status.currentMetrics[0].resource.current.averageUtilization, 200);
    assert.equal((await json(['get', 'deployment', 'web', '-n', 'hpa'])).spec.replicas, 4);
    const events = ((await json(['get', 'events', '-n', 'hpa', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler'])).items as K8sObject[]).map((e) => `${e.reason} ${e.message}`);
    assert.ok(events.includes('SuccessfulRescale New size: 4; reason: cpu resource utilization (percentage of request) above target'), events.join('\n'));
    const table = (await kubectl(['get', 'hpa', 'web', '-n', 'hpa'])).stdout;
    assert.match(table, /^web\s+Deployment\/web\s+cpu: 200%\/50%\s+1\s+4\s+4\s+/m);
  });

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
