/**
 * The Deployment and ReplicaSet controllers together against the fake client: a Deployment gets
 * its ReplicaSet and pods, rolls to a new template within maxSurge/maxUnavailable as pods become
 * ready (readiness simulated by writing pod status), scales, and cleans up old ReplicaSets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import type { K8sObject } from '../../client/types.ts';
import { newReplicaSetController } from '../replicaset.ts';
import { DEPLOYMENTS, EVENTS, PODS, REPLICA_SETS } from '../resources.ts';
import { ManualQueue, settle } from '../test-support.ts';
import { newDeploymentController } from './controller.ts';

const silent = { error() {} };
const NOW = Date.parse('2026-01-01T00:00:00Z');

function deployment(image: string): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 0,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

async function startAll(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queues = [new ManualQueue(), new ManualQueue()];
  const controllers = [
    newReplicaSetController({ client, informers, queue: queues[0]!, log: silent, now: () => NOW }),
    newDeploymentController({ client, informers, queue: queues[1]!, log: silent, now: () => NOW }),
  ];
  informers.start();
  for (const c of controllers) c.run(1);
  const settleAll = () => settle(queues);
  await settleAll();
  return {
    settle: settleAll,
    async stop() {
      for (const c of controllers) await c.stop();
      informers.stop();
    },
  };
}

const live = (client: FakeApiClient) => client.stored<K8sObject>(PODS, 'default').filter((p) => !p.metadata.deletionTimestamp);
const sets = (client: FakeApiClient) => client.stored<K8sObject>(REPLICA_SETS, 'default');
const current = (client: FakeApiClient) => client.stored<K8sObject>(DEPLOYMENTS, 'default')[0]!;
const cond = (d: K8sObject, type: string) => d.status?.conditions?.find((c: { type: string }) => c.type === type);
const image = (o: K8sObject) => o.spec.template?.spec?.containers?.[0]?.image ?? o.spec.containers[0].image;

/** Marks every pod that is not yet ready as Running and Ready (what a kubelet would report). */
async function makeReady(client: FakeApiClient): Promise<number> {
  let n = 0;
  for (const p of live(client)) {
    if (p.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')) continue;
    await client.update(PODS, 'default', { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-12-31T23:00:00Z' }] } }, 'status');
    n++;
  }
  return n;
}

test('a Deployment creates <name>-<hash> ReplicaSet, rolls to a new template within surge limits, scales and cleans up', async () => {
  const client = new FakeApiClient({ now: () => new Date(NOW) });
  client.seed(DEPLOYMENTS, deployment('nginx:1'));
  const cp = await startAll(client);
  try {
    // First revision: one ReplicaSet with the pod-template-hash label and selector, 3 pods.
    const [rs1] = sets(client);
    const hash = rs1!.metadata.labels['pod-template-hash'];
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs1!.metadata.name, `web-${hash}`);
    assert.equal(rs1!.spec.selector.matchLabels['pod-template-hash'], hash);
    assert.equal(rs1!.metadata.annotations['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs1!.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs1!.metadata.annotations['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(live(client).length, 3);
    let d = current(client);
    assert.equal(cond(d, 'Progressing')?.reason, 'ReplicaSetUpdated');
    assert.equal(cond(d, 'Available')?.reason, 'MinimumReplicasUnavailable');

    await makeReady(client);
    await cp.settle();
    d = current(client);
    assert.deepEqual(
      { replicas: d.status.replicas, updated: d.status.updatedReplicas, ready: d.status.readyReplicas, available: d.status.availableReplicas, unavailable: d.status.unavailableReplicas, gen: d.status.observedGeneration },
      { replicas: 3, updated: 3, ready: 3, available: 3, unavailable: 0, gen: d.metadata.generation },
    );
    assert.equal(cond(d, 'Available')?.reason, 'MinimumReplicasAvailable');
    assert.equal(cond(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(cond(d, 'Progressing')?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '1');

    // New template: never more than replicas + maxSurge pods, never fewer than replicas - maxUnavailable ready.
    await client.update(DEPLOYMENTS, 'default', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await cp.settle();
    for (let step = 0; step < 10; step++) {
      const rss = sets(client);
      const total = rss.reduce((n, r) => n + r.spec.replicas, 0);
      const ready = live(client).filter((p) => p.status?.conditions?.length).length;
      assert.ok(total <= 4, `step ${step}: ${total} replicas exceed replicas + maxSurge`);
      assert.ok(ready >= 3, `step ${step}: only ${ready} ready pods`);
      if ((await makeReady(client)) === 0) break;
      await cp.settle();
    }
    const rss = sets(client);
    assert.equal(rss.length, 1, 'the old ReplicaSet, scaled to 0, is cleaned up (revisionHistoryLimit 0)');
    const [rs2] = rss;
    assert.notEqual(rs2!.metadata.name, rs1!.metadata.name);
    assert.equal(image(rs2!), 'nginx:2');
    assert.equal(rs2!.spec.replicas, 3);
    assert.equal(rs2!.metadata.annotations['deployment.kubernetes.io/revision'], '2');
    assert.deepEqual(live(client).map(image).sort(), ['nginx:2', 'nginx:2', 'nginx:2']);
    d = current(client);
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '2');
    assert.equal(cond(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(d.status.updatedReplicas, 3);

    // The rollout went in surge steps of one: scale events name the steps.
    const scaling = client.stored<K8sObject>(EVENTS, 'default').filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    assert.ok(scaling.includes(`Scaled up replica set ${rs2!.metadata.name} from 0 to 1`), scaling.join('\n'));
    assert.ok(scaling.includes(`Scaled down replica set ${rs1!.metadata.name} from 3 to 2`), scaling.join('\n'));

    // Scale: the one active ReplicaSet follows spec.replicas.
    await client.update(DEPLOYMENTS, 'default', { ...d, spec: { ...d.spec, replicas: 5 } });
    await cp.settle();
    assert.equal(sets(client)[0]!.spec.replicas, 5);
    assert.equal(live(client).length, 5);
  } finally {
    await cp.stop();
  }
});

test('Recreate scales the old ReplicaSet to zero before the new one gets pods', async () => {
  const client = new FakeApiClient({ now: () => new Date(NOW) });
  const d0 = deployment('nginx:1');
  d0.spec.strategy = { type: 'Recreate' };
  client.seed(DEPLOYMENTS, d0);
  const cp = await startAll(client);
  try {
    await makeReady(client);
    await cp.settle();
    const d = current(client);
    await client.update(DEPLOYMENTS, 'default', { ...d, spec: { ...d.spec, template: { ...d.spec.template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await cp.settle();
    const images = live(client).map(image);
    assert.deepEqual(images.sort(), ['nginx:2', 'nginx:2', 'nginx:2']);
    const creates = client.actions.filter((a) => a.verb === 'create' && a.resource.resource === 'pods' && (a.object as K8sObject).spec.containers[0].image === 'nginx:2');
    assert.equal(creates.length, 3);
  } finally {
    await cp.stop();
  }
});
