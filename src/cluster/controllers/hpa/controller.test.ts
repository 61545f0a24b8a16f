/**
 * The HPA controller against the fake client (with a /scale subresource over Deployments, as the
 * API serves it), the real shared informers and a fake metrics source: scale-up with upstream's
 * status, conditions and event, a metrics failure, min/max limits and the 15 s resync.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { FakeClock } from '../../client/fake-clock.ts';
import { resources } from '../../client/resources.ts';
import type { K8sObject, ResourceRef, WriteOptions } from '../../client/types.ts';
import { ManualQueue, settle } from '../test-support.ts';
import { EVENTS, PODS } from '../resources.ts';
import { formatTime } from '../pod-util.ts';
import { HPAS, newHpaController } from './controller.ts';
import type { MetricsSource } from './metrics-source.ts';
import type { PodMetricsInfo } from './replica-calculator.ts';

const DEPLOYMENTS = resources.deployments;
const silent = { error() {} };

/** The fake client plus deployments/scale (autoscaling/v1 Scale from spec.replicas and the selector). */
class ScaleClient extends FakeApiClient {
  override async get<T extends K8sObject>(r: ResourceRef, ns: string, name: string, sub?: string): Promise<T> {
    const obj = await super.get<K8sObject>(r, ns, name);
    if (sub !== 'scale') return obj as T;
    const selector = Object.entries(obj.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
    return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace: ns, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion }, spec: { replicas: obj.spec.replicas }, status: { replicas: obj.status?.replicas ?? 0, selector } } as unknown as T;
  }
  override async update<T extends K8sObject>(r: ResourceRef, ns: string, obj: T, sub?: string, opts?: WriteOptions): Promise<T> {
    if (sub !== 'scale') return super.update(r, ns, obj, sub, opts);
    const d = await super.get<K8sObject>(r, ns, obj.metadata.name!);
    await super.update(r, ns, { ...d, spec: { ...d.spec, replicas: obj.spec.replicas } });
    return obj;
  }
}

class FakeMetrics implements MetricsSource {
  usage = new Map<string, number>();
  fail?: Error;
  private readonly clock: FakeClock;
  constructor(clock: FakeClock) {
    this.clock = clock;
  }
  async getResourceMetric(): Promise<{ metrics: PodMetricsInfo; timestamp: number }> {
    if (this.fail) throw this.fail;
    const metrics: PodMetricsInfo = new Map([...this.usage].map(([n, v]) => [n, { value: v, timestamp: this.clock.now(), windowMs: 30_000 }]));
    return { metrics, timestamp: this.clock.now() };
  }
}

function seed(client: FakeApiClient, clock: FakeClock, replicas: number, hpa: Record<string, unknown> = {}) {
  client.seed(DEPLOYMENTS, { metadata: { name: 'web', namespace: 'default' }, spec: { replicas, selector: { matchLabels: { app: 'web' } } } });
  for (let i = 0; i < replicas; i++) {
    client.seed(PODS, {
      metadata: { name: `web-${i}`, namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }] },
      status: { phase: 'Running', startTime: formatTime(clock.now() - 3_600_000), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(clock.now() - 3_590_000) }] },
    });
  }
  client.seed(HPAS, {
    metadata: { name: 'web', namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], ...hpa },
  });
}

async function start(client: FakeApiClient, clock: FakeClock, metrics: MetricsSource) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  let seq = 0;
  // Distinct event names (a repeated name would be refused as AlreadyExists).
  const random = () => (++seq % 1000) / 1000;
  const c = newHpaController({ client, informers, queue, log: silent, now: clock.now, random, metrics });
  informers.start();
  c.run(1);
  await settle([queue]);
  return { queue, stop: async () => { await c.stop(); informers.stop(); } };
}

const hpaOf = (client: FakeApiClient) => client.stored<K8sObject>(HPAS, 'default')[0]!;
const replicasOf = (client: FakeApiClient) => client.stored<K8sObject>(DEPLOYMENTS, 'default')[0]!.spec.replicas;
const cond = (h: K8sObject, type: string) => h.status.conditions.find((c: { type: string }) => c.type === type);

test('200m used on 100m requested at a 50% target: scaled 1 → 4 with upstream status, conditions and event; resync every 15 s', async () => {
  const clock = new FakeClock();
  const client = new ScaleClient({ now: clock.date });
  const metrics = new FakeMetrics(clock);
  metrics.usage.set('web-0', 200);
  seed(client, clock, 1);
  const { queue, stop } = await start(client, clock, metrics);
  try {
    assert.equal(replicasOf(client), 4);
    const h = hpaOf(client);
    assert.deepEqual({ ...h.status, conditions: undefined }, {
      currentReplicas: 1,
      desiredReplicas: 4,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } } }],
      lastScaleTime: '2026-01-01T00:00:00Z',
      conditions: undefined,
    });
    assert.deepEqual(cond(h, 'AbleToScale'), { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 4', lastTransitionTime: '2026-01-01T00:00:00Z' });
    assert.deepEqual(cond(h, 'ScalingActive'), { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)', lastTransitionTime: '2026-01-01T00:00:00Z' });
    assert.deepEqual(cond(h, 'ScalingLimited'), { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range', lastTransitionTime: '2026-01-01T00:00:00Z' });
    const ev = client.stored<K8sObject>(EVENTS, 'default').find((e) => e.reason === 'SuccessfulRescale');
    assert.equal(ev?.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
    assert.equal(ev?.type, 'Normal');
    assert.ok(queue.delayed.has('default/web'), 'requeued for the 15 s resync');
  } finally {
    await stop();
  }
});

test('max replicas caps the scale-up with ScalingLimited TooManyReplicas', async () => {
  const clock = new FakeClock();
  const client = new ScaleClient({ now: clock.date });
  const metrics = new FakeMetrics(clock);
  for (let i = 0; i < 3; i++) metrics.usage.set(`web-${i}`, 300);
  seed(client, clock, 3, { maxReplicas: 5 });
  const { stop } = await start(client, clock, metrics);
  try {
    assert.equal(replicasOf(client), 5);
    const h = hpaOf(client);
    assert.equal(h.status.desiredReplicas, 5);
    assert.deepEqual({ ...cond(h, 'ScalingLimited'), lastTransitionTime: undefined }, { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count', lastTransitionTime: undefined });
  } finally {
    await stop();
  }
});

test('a failing metrics API: ScalingActive False FailedGetResourceMetric, Warning events, no rescale', async () => {
  const clock = new FakeClock();
  const client = new ScaleClient({ now: clock.date });
  const metrics = new FakeMetrics(clock);
  metrics.fail = new Error('unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)');
  seed(client, clock, 2);
  const { stop } = await start(client, clock, metrics);
  try {
    assert.equal(replicasOf(client), 2);
    const h = hpaOf(client);
    assert.equal(h.status.currentReplicas, 2);
    assert.deepEqual({ ...cond(h, 'ScalingActive'), lastTransitionTime: undefined }, {
      type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', lastTransitionTime: undefined,
      message: 'the HPA was unable to compute the replica count: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)',
    });
    assert.equal(cond(h, 'AbleToScale').reason, 'SucceededGetScale');
    const reasons = client.stored<K8sObject>(EVENTS, 'default').map((e) => e.reason).sort();
    assert.deepEqual(reasons, ['FailedComputeMetricsReplicas', 'FailedGetResourceMetric']);
  } finally {
    await stop();
  }
});

test('a target below minReplicas is raised without metrics ("Current number of replicas below Spec.MinReplicas")', async () => {
  const clock = new FakeClock();
  const client = new ScaleClient({ now: clock.date });
  const metrics = new FakeMetrics(clock);
  metrics.fail = new Error('not consulted');
  seed(client, clock, 1, { minReplicas: 3 });
  const { stop } = await start(client, clock, metrics);
  try {
    assert.equal(replicasOf(client), 3);
    const ev = client.stored<K8sObject>(EVENTS, 'default').find((e) => e.reason === 'SuccessfulRescale');
    assert.equal(ev?.message, 'New size: 3; reason: Current number of replicas below Spec.MinReplicas');
  } finally {
    await stop();
  }
});
