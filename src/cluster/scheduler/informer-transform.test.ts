import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { stripManagedFields } from '../client/informer.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { createSharedValues } from '../../util/shared-values.ts';
import { schedulerPodView, schedulerTransform } from './informer-transform.ts';
import { defaultProfile } from './profile.ts';
import { startScheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing.ts';

const silent = { info() {}, warn() {} };
const ZONE = 'topology.kubernetes.io/zone';

async function settle(cond: () => boolean, rounds = 4000): Promise<void> {
  for (let i = 0; i < rounds && !cond(); i++) await new Promise((r) => setImmediate(r));
}

/** What an API server adds that the scheduler never reads: managedFields, annotations, owner, container details and statuses. */
function asServed(p: K8sObject, i: number): K8sObject {
  const running = !!p.spec?.nodeName;
  return {
    ...p,
    metadata: {
      ...p.metadata,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(p.spec) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: `rs-${i % 3}`, controller: true }],
      creationTimestamp: `2026-12-07T12:00:${String(i % 60).padStart(2, '0')}Z`,
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
    },
    spec: {
      ...p.spec,
      containers: (p.spec?.containers ?? []).map((c: Record<string, unknown>) => ({ ...c, image: 'registry.k8s.io/pause:3.10', imagePullPolicy: 'IfNotPresent', env: [{ name: 'A', value: String(i) }], terminationMessagePath: '/dev/termination-log' })),
      tolerations: [...(p.spec?.tolerations ?? []), { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    },
    status: running
      ? { phase: 'Running', qosClass: 'Burstable', hostIP: '10.1.0.1', podIP: `10.0.0.${i}`, startTime: `2026-12-07T12:01:${String(i % 60).padStart(2, '0')}Z`,
        conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-07T12:01:00Z' }, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-07T12:00:30Z' }],
        containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'registry.k8s.io/pause:3.10', containerID: `sim://${i}`, state: { running: { startedAt: '2026-12-07T12:01:00Z' } } }] }
      : { phase: 'Pending', qosClass: 'Burstable' },
  };
}

const anti = (labels: Record<string, string>, key: string) => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: key }] } });
const aff = (labels: Record<string, string>, key: string) => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: key }] } });
const hostPort = (port: number) => ({ containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: port, protocol: 'TCP' }], resources: { requests: { cpu: '100m' } } }] });

/** Nodes and pods touching every default plugin: resources (extended too), ports, taints, affinity, spreading, volumes, sidecars, overhead, preemption. */
function cluster(): { nodes: K8sObject[]; pods: K8sObject[] } {
  const nodes = [
    makeNode('a1', { cpu: '2', memory: '4Gi', labels: { [ZONE]: 'a', disk: 'ssd' }, extra: { 'example.com/gpu': '1' } }),
    makeNode('a2', { cpu: '4', memory: '8Gi', labels: { [ZONE]: 'a' } }),
    makeNode('b1', { cpu: '4', memory: '8Gi', labels: { [ZONE]: 'b', disk: 'ssd' }, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
    makeNode('b2', { cpu: '1', memory: '2Gi', pods: '3', labels: { [ZONE]: 'b' } }),
    makeNode('c1', { cpu: '8', memory: '16Gi', labels: { [ZONE]: 'c' }, unschedulable: true }),
    makeNode('c2', { cpu: '2', memory: '4Gi', labels: { [ZONE]: 'c' } }),
  ];
  const bound = [
    makePod('web-0', { node: 'a1', cpu: '500m', memory: '1Gi', labels: { app: 'web' }, priority: 10 }),
    makePod('web-1', { node: 'b2', cpu: '500m', labels: { app: 'web' }, priority: 10 }),
    makePod('guard', { node: 'a2', cpu: '1', labels: { app: 'guard' }, spec: { affinity: anti({ app: 'db' }, ZONE) }, priority: 0 }),
    makePod('ports', { node: 'c2', labels: { app: 'ports' }, spec: hostPort(8080) }),
    makePod('disk', { node: 'a2', cpu: '100m', spec: { volumes: [{ name: 'd', gcePersistentDisk: { pdName: 'pd-1' } }] } }),
    makePod('sidecar', { node: 'c2', cpu: '200m', spec: { initContainers: [{ name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '700m', memory: '1Gi' } } }], overhead: { cpu: '100m' } } }),
    makePod('low', { node: 'b2', cpu: '400m', priority: -5 }),
  ];
  const pending = [
    makePod('fits', { cpu: '1', memory: '1Gi', labels: { app: 'x' } }),
    makePod('too-big', { cpu: '64' }),
    makePod('gpu', { cpu: '100m', requests: { 'example.com/gpu': '1' } }),
    makePod('gpu-2', { cpu: '100m', requests: { 'example.com/gpu': '1' } }),
    makePod('ssd', { cpu: '100m', spec: { nodeSelector: { disk: 'ssd' } } }),
    makePod('db', { cpu: '100m', labels: { app: 'db' }, spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] } }),
    makePod('db-2', { cpu: '100m', labels: { app: 'db' } }),
    makePod('near-web', { cpu: '100m', spec: { affinity: aff({ app: 'web' }, ZONE) } }),
    makePod('port-clash', { spec: { ...hostPort(8080), nodeSelector: { [ZONE]: 'c' } } }),
    // Fits c2 only if the bound pod's sidecar were counted as a plain init container.
    makePod('zone-c-big', { cpu: '1', priority: 500, spec: { nodeSelector: { [ZONE]: 'c' }, preemptionPolicy: 'Never' } }),
    makePod('port-ok', { spec: hostPort(9090) }),
    makePod('same-disk', { cpu: '100m', spec: { nodeSelector: { 'kubernetes.io/hostname': 'a2' }, volumes: [{ name: 'd', gcePersistentDisk: { pdName: 'pd-1' } }] } }),
    makePod('spread-1', { cpu: '100m', labels: { app: 'spread' }, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] } }),
    makePod('spread-2', { cpu: '100m', labels: { app: 'spread' }, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] } }),
    makePod('sidecar-big', { cpu: '100m', spec: { initContainers: [{ name: 'init', resources: { requests: { cpu: '3' } } }] } }),
    makePod('vip', { cpu: '900m', priority: 1000, spec: { nodeSelector: { [ZONE]: 'b' } } }),
    makePod('pinned-b', { cpu: '100m', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['b'] }] }] } } } } }),
  ];
  return { nodes, pods: [...bound, ...pending].map(asServed) };
}

/** Runs the scheduler over the cluster; per pod: where it went, its FailedScheduling notes, its status patches, whether it was deleted. */
async function outcome(transform?: (o: K8sObject) => K8sObject): Promise<Record<string, unknown>> {
  const client = new FakeApiClient();
  const factory = fakeInformerFactory(client, transform ? { transform } : {});
  const { nodes, pods } = cluster();
  for (const n of nodes) client.seed(resources.nodes, n);
  for (const p of pods) client.seed(resources.pods, p);
  const podInformer = factory.informer(resources.pods);
  factory.start();
  const s = startScheduler({ client, informers: { nodes: factory.informer(resources.nodes), pods: podInformer } as never, profiles: [defaultProfile()], random: () => 0, now: () => 1_796_000_000_000, log: silent });
  try {
    const pending = pods.filter((p) => !p.spec?.nodeName).map((p) => p.metadata.name ?? '');
    // Every pending pod either bound or failed at least once, and nothing left to do.
    const tried = (name: string) => client.actions.some((a) => a.name === name && (a.subresource === 'binding' || (a.verb === 'patch' && a.subresource === 'status')));
    await settle(() => pending.every(tried));
    await s.idle();
    const out: Record<string, unknown> = {};
    for (const p of pods) {
      const name = p.metadata.name!;
      const events = client.actions.filter((a) => a.verb === 'create' && a.resource.resource === 'events' && (a.object as K8sObject | undefined)?.regarding?.name === name).map((a) => a.object as K8sObject);
      out[name] = {
        node: podInformer.get('default', name)?.spec?.nodeName ?? (client.actions.find((a) => a.subresource === 'binding' && a.name === name)?.object as K8sObject | undefined)?.target?.name,
        events: events.map((e) => `${e.reason}: ${e.note}`).sort(),
        statusPatches: client.actions.filter((a) => a.verb === 'patch' && a.subresource === 'status' && a.name === name).map((a) => JSON.stringify(a.object)),
        deleted: client.actions.some((a) => a.verb === 'delete' && a.name === name),
      };
    }
    return out;
  } finally {
    await s.stop();
    factory.stop();
  }
}

test('the scheduler decides the same with the slim, shared pods as with whole pods (nodes, FailedScheduling messages, status writes, preemption)', async () => {
  const whole = await outcome(stripManagedFields);
  const slim = await outcome(schedulerTransform(createSharedValues({ maxEntries: 64 })));
  assert.deepEqual(slim, whole);
  // The cases are not vacuous: some pods bound, some refused with a message, a victim preempted.
  const all = Object.values(whole) as Array<{ node?: string; events: string[]; deleted: boolean }>;
  assert.ok(all.filter((o) => o.node).length >= 10);
  assert.ok(all.some((o) => o.events.some((e) => e.startsWith('FailedScheduling: 0/6 nodes are available'))));
  assert.ok(all.some((o) => o.deleted));
});

test('schedulerPodView keeps what the scheduler reads and drops the rest', () => {
  const p = asServed(makePod('p', { node: 'n', cpu: '1', labels: { app: 'x' }, spec: { initContainers: [{ name: 'i', restartPolicy: 'Always', image: 'x', resources: { requests: { cpu: '1' } } }] } }), 1);
  const v = schedulerPodView(p);
  assert.deepEqual(Object.keys(v.metadata).sort(), ['creationTimestamp', 'labels', 'name', 'namespace', 'uid']);
  assert.deepEqual(v.spec?.containers, [{ name: 'c', resources: { requests: { cpu: '1' } } }]);
  assert.deepEqual(v.spec?.initContainers, [{ name: 'i', resources: { requests: { cpu: '1' } }, restartPolicy: 'Always' }]);
  assert.deepEqual(v.spec?.tolerations, p.spec?.tolerations);
  assert.deepEqual(Object.keys(v.status ?? {}).sort(), ['conditions', 'phase', 'startTime']);
  // The argument is not changed.
  assert.ok(p.metadata.managedFields && p.spec?.containers[0].image);
});

test('equal parts of different pods become one frozen object; strings one instance; the table is bounded', () => {
  const values = createSharedValues({ maxEntries: 32 });
  const tf = schedulerTransform(values);
  const a = tf(asServed(makePod('a', { node: 'n', cpu: '1' }), 1));
  const b = tf(asServed(makePod('b', { node: 'n', cpu: '1' }), 2));
  assert.notEqual(a, b);
  assert.notEqual(a.metadata, b.metadata);
  assert.equal(a.spec, b.spec);
  assert.ok(Object.isFrozen(a.spec) && Object.isFrozen(a.spec.containers[0]));
  assert.equal(a.status?.conditions[0], b.status?.conditions[0]);
  // Different content stays apart.
  const c = tf(asServed(makePod('c', { node: 'm', cpu: '1' }), 3));
  assert.notEqual(c.spec, a.spec);
  assert.equal(c.spec.containers, a.spec.containers);
  for (let i = 0; i < 50; i++) tf(asServed(makePod(`x${i}`, { node: `n${i}`, cpu: `${i + 1}` }), i));
  assert.ok(values.size <= 32);
});
