import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCluster } from '../helpers/cluster.ts';
import { startSimCluster, type SimCluster } from '../helpers/sim-cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { kubectlSession, until } from '../helpers/kubectl-session.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';

/**
 * Workloads run to their desired state through `portcullis up`'s own controller manager and
 * scheduler (API clients with their own identities) on three simulated nodes, driven by
 * kubectl 1.33 as a user would.
 */
const MINOR = 33;
const NS = 'shop';
let c: TestCluster;
let cluster: SimCluster | undefined;

const skip = kubectlSkip(MINOR);

before(async () => {
  if (skip) return;
  cluster = await startSimCluster({ count: 3, leaseRenewMs: 2_000 });
  c = cluster.c;
});
after(async () => {
  await cluster?.close();
});

const { kubectl, json } = kubectlSession(MINOR, () => c.cp.kubeconfigPath);

const webPods = async (): Promise<K8sObject[]> => (await json(['get', 'pods', '-n', NS, '-l', 'app=web', '--show-managed-fields'])).items;


async function rolloutStatus(): Promise<void> {
  const r = await kubectl(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=90s'], undefined, 100_000);
  assert.match(r.stdout, /deployment "web" successfully rolled out/);
}

/** The Deployment's pods once `n` of them (and no others) run the image, Running on simulated nodes. */
async function runningPods(n: number, image: string): Promise<K8sObject[]> {
  return until(`${n} Running pods of ${image}`, async () => {
    const pods = await webPods();
    const ok = pods.length === n && pods.every((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && p.spec.containers[0].image === image && /^sim-node-\d$/.test(p.spec.nodeName ?? ''));
    return ok ? pods : undefined;
  });
}

describe('kubectl 1.33 workloads on simulated nodes', { skip }, () => {
  test('create deployment: 3 pods bound to simulated nodes, Running; rollout status completes', async () => {
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=3', '-n', NS]);
    await rolloutStatus();
    const pods = await runningPods(3, 'nginx');
    for (const p of pods) {
      assert.equal(p.status.conditions.find((x: any) => x.type === 'PodScheduled')?.status, 'True');
      assert.equal(p.metadata.ownerReferences[0].kind, 'ReplicaSet');
    }
    const d = await json(['get', 'deployment', 'web', '-n', NS]);
    assert.equal(d.status.readyReplicas, 3);
    assert.equal(d.status.observedGeneration, d.metadata.generation);
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  });

  test('the controllers and the scheduler act as their own identities', async () => {
    // The ReplicaSet controller's own client is its service account, not the manager nor admin.
    const rsClient = c.cp.controllerManager?.clientOf('replicaset-controller');
    assert.ok(rsClient, 'replicaset-controller is running');
    const review = await rsClient.create<K8sObject>({ group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false }, '', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} });
    assert.equal(review.status.userInfo.username, 'system:serviceaccount:kube-system:replicaset-controller');
    assert.ok(review.status.userInfo.groups.includes('system:serviceaccounts:kube-system'));
    // Pods and ReplicaSets were written by the controller manager's clients (the field manager is
    // the User-Agent's product), never by kubectl.
    for (const p of await webPods()) {
      const managers = p.metadata.managedFields.map((m: any) => m.manager);
      assert.ok(managers.includes('kube-controller-manager'), `pod managers: ${managers}`);
      assert.ok(!managers.includes('kubectl-create'), `pod managers: ${managers}`);
    }
    const rs = (await json(['get', 'replicasets', '-n', NS, '--show-managed-fields'])).items[0];
    assert.deepEqual(rs.metadata.managedFields.map((m: any) => m.manager).filter((m: string) => m !== 'kube-controller-manager'), []);
    // Both components hold their Leases.
    const lease = async (name: string) => (await json(['get', 'lease', name, '-n', 'kube-system'])).spec.holderIdentity;
    assert.match(await lease('kube-controller-manager'), /_[0-9a-f-]{36}$/);
    assert.match(await lease('kube-scheduler'), /_[0-9a-f-]{36}$/);
    assert.ok(c.cp.controllerManager?.isLeader() && c.cp.scheduler?.isLeader());
  });

  test('set image rolls to a new ReplicaSet and scales the old one to 0; rollout undo returns', async () => {
    const first = (await json(['get', 'replicasets', '-n', NS])).items[0];
    await kubectl(['set', 'image', 'deployment/web', 'nginx=nginx:2', '-n', NS]);
    await rolloutStatus();
    await runningPods(3, 'nginx:2');
    const sets = (await json(['get', 'replicasets', '-n', NS])).items;
    assert.equal(sets.length, 2);
    const old = sets.find((s: K8sObject) => s.metadata.name === first.metadata.name);
    const cur = sets.find((s: K8sObject) => s.metadata.name !== first.metadata.name);
    assert.equal(old.spec.replicas, 0);
    assert.equal(cur.spec.replicas, 3);
    assert.equal(cur.metadata.annotations['deployment.kubernetes.io/revision'], '2');
    assert.equal(cur.spec.template.spec.containers[0].image, 'nginx:2');

    await kubectl(['rollout', 'undo', 'deployment/web', '-n', NS]);
    await rolloutStatus();
    await runningPods(3, 'nginx');
    // Upstream reuses the first ReplicaSet here (revision 3). Ours may make a third one with the
    // same pod template: kubectl created the Deployment with a protobuf body whose zero values
    // (stdin: false, ...) the server keeps (src/api/codecs/protobuf.ts), while undo sends the
    // template through Go structs, which drop them. Either way every pod runs the first template.
    const undone = (await json(['get', 'replicasets', '-n', NS])).items;
    const active = undone.filter((s: K8sObject) => s.spec.replicas > 0);
    assert.equal(active.length, 1);
    assert.equal(active[0].spec.template.spec.containers[0].image, 'nginx');
    assert.equal(active[0].metadata.annotations['deployment.kubernetes.io/revision'], '3');
    assert.equal(undone.find((s: K8sObject) => s.metadata.name === cur.metadata.name).spec.replicas, 0);
    const d = await json(['get', 'deployment', 'web', '-n', NS]);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx');
    const history = await kubectl(['rollout', 'history', 'deployment/web', '-n', NS]);
    assert.match(history.stdout, /^2\s/m);
    assert.match(history.stdout, /^3\s/m);
  });

  test('scale to 5', async () => {
    await kubectl(['scale', 'deployment/web', '--replicas=5', '-n', NS]);
    await rolloutStatus();
    const pods = await runningPods(5, 'nginx');
    assert.equal(new Set(pods.map((p) => p.metadata.name)).size, 5);
  });

  test('a pod that fits no node: upstream FailedScheduling message in events and describe', async () => {
    await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: big, namespace: ${NS}}
spec:
  containers:
  - name: c
    image: nginx
    resources: {requests: {cpu: "1000"}}
`);
    const message = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    const ev = await until('FailedScheduling event', async () => {
      const evs = (await json(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=big'])).items;
      return evs.find((e: K8sObject) => e.reason === 'FailedScheduling');
    });
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, message);
    const described = await kubectl(['describe', 'pod', 'big', '-n', NS]);
    assert.match(described.stdout, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available: 3 Insufficient cpu\. preemption: 0\/3 nodes are available: 3 Preemption is not helpful for scheduling\./);
    const pod = await json(['get', 'pod', 'big', '-n', NS]);
    assert.equal(pod.spec.nodeName, undefined);
    const cond = pod.status.conditions.find((x: any) => x.type === 'PodScheduled');
    assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'Unschedulable', message]);
    await kubectl(['delete', 'pod', 'big', '-n', NS, '--wait=false']);
  });

  test('delete --cascade=foreground removes the Deployment, its ReplicaSets and its pods', async () => {
    await kubectl(['delete', 'deployment', 'web', '-n', NS, '--cascade=foreground'], undefined, 100_000);
    await until('pods and ReplicaSets gone', async () => {
      const pods = await webPods();
      const sets = (await json(['get', 'replicasets', '-n', NS])).items;
      return pods.length === 0 && sets.length === 0 ? true : undefined;
    });
    const r = await runKubectl(MINOR, c.cp.kubeconfigPath, ['get', 'deployment', 'web', '-n', NS]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployments.apps "web" not found/);
  });
});


