import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestCluster } from '../helpers/cluster.ts';
import { startSimCluster, type SimCluster } from '../helpers/sim-cluster.ts';
import { kubectlSkip } from '../helpers/kubectl.ts';
import { kubectlSession, until } from '../helpers/kubectl-session.ts';
import type { RestClient } from '../../src/cluster/client/rest-client.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { mintClientIdentity } from '../../src/cluster/client/identities.ts';
import { startSchedulerProcess, type SchedulerProcess } from '../../src/cluster/scheduler/process.ts';
import { defaultProfile } from '../../src/cluster/scheduler/profile.ts';
import type { K8sObject, WatchHandle } from '../../src/cluster/client/types.ts';

/**
 * StatefulSets, DaemonSets, Jobs, CronJobs, drain against a PodDisruptionBudget, a second
 * scheduler and the rollout verbs, through `portcullis up`'s controller manager and scheduler on
 * three simulated nodes, driven by kubectl 1.33 as a user would (the Deployment basics are in
 * kubectl-workloads.test.ts).
 */
const MINOR = 33;
let c: TestCluster;
let simClient: RestClient;
let cluster: SimCluster | undefined;

const skip = kubectlSkip(MINOR);

before(async () => {
  if (skip) return;
  // Job pods succeed half a second after they start.
  cluster = await startSimCluster({ count: 3, leaseRenewMs: 2_000, jobRunTimeMs: 500 });
  ({ c, simClient } = cluster);
});
after(async () => {
  await cluster?.close();
});

const { run, kubectl, json } = kubectlSession(MINOR, () => c.cp.kubeconfigPath);

const pods = async (ns: string, selector: string): Promise<K8sObject[]> => (await json(['get', 'pods', '-n', ns, '-l', selector])).items;
const ready = (p: K8sObject): boolean => p.status?.phase === 'Running' && p.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True');

async function rolloutStatus(what: string, ns: string): Promise<string> {
  return (await kubectl(['rollout', 'status', what, '-n', ns, '--timeout=90s'], undefined, 100_000)).stdout;
}

/** The pod events of `ns` seen by a watch, in the order the server sent them. */
function watchPods(ns: string): { seen: Array<{ type: string; pod: K8sObject }>; handle: Promise<WatchHandle> } {
  const seen: Array<{ type: string; pod: K8sObject }> = [];
  const handle = simClient.list(resources.pods, ns).then((l) =>
    simClient.watch<K8sObject>(resources.pods, ns, { resourceVersion: l.metadata.resourceVersion }, (e) => seen.push({ type: e.type, pod: e.object }), () => {}),
  );
  return { seen, handle };
}

describe('kubectl 1.33: more workloads on simulated nodes', { skip }, () => {
  test('StatefulSet: web-0 is Running and Ready before web-1 exists; rollout status completes', async () => {
    await kubectl(['create', 'namespace', 'sts']);
    const w = watchPods('sts');
    const handle = await w.handle;
    try {
      await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: web, namespace: sts}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: sts}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx}]}
`);
      const out = await rolloutStatus('statefulset/web', 'sts');
      // Defaulting sets rollingUpdate.partition 0, so kubectl reports a partitioned roll out (as upstream).
      assert.match(out, /partitioned roll out complete: 3 new pods have been updated\.\.\./);
      const list = await pods('sts', 'app=web');
      assert.deepEqual(list.map((p) => p.metadata.name).sort(), ['web-0', 'web-1', 'web-2']);
      assert.ok(list.every(ready));
      for (const p of list) assert.equal(p.spec.hostname, p.metadata.name);
      // OrderedReady: each ordinal appears only after every lower one was seen Running and Ready.
      const firstAdded = (name: string) => w.seen.findIndex((e) => e.type === 'ADDED' && e.pod.metadata.name === name);
      const firstReady = (name: string) => w.seen.findIndex((e) => e.pod.metadata.name === name && ready(e.pod));
      for (const [lower, higher] of [['web-0', 'web-1'], ['web-1', 'web-2']] as const) {
        assert.ok(firstAdded(higher) >= 0 && firstReady(lower) >= 0, `watch saw ${higher} and ${lower} ready`);
        assert.ok(firstReady(lower) < firstAdded(higher), `${lower} Ready (event ${firstReady(lower)}) before ${higher} created (event ${firstAdded(higher)})`);
      }
    } finally {
      handle.close();
    }
    const sts = await json(['get', 'statefulset', 'web', '-n', 'sts']);
    assert.equal(sts.status.readyReplicas, 3);
    assert.equal(sts.status.currentRevision, sts.status.updateRevision);
  });

  test('DaemonSet: one pod on every node but the tainted one; rollout status completes', async () => {
    await kubectl(['taint', 'nodes', 'sim-node-2', 'dedicated=x:NoSchedule']);
    await kubectl(['create', 'namespace', 'ds']);
    await kubectl(['apply', '-f', '-'], `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ds}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox}]}
`);
    const out = await rolloutStatus('daemonset/agent', 'ds');
    assert.match(out, /daemon set "agent" successfully rolled out/);
    const list = await until('2 Ready daemon pods', async () => {
      const l = await pods('ds', 'app=agent');
      return l.length === 2 && l.every(ready) ? l : undefined;
    });
    assert.deepEqual(list.map((p) => p.spec.nodeName).sort(), ['sim-node-0', 'sim-node-1']);
    const ds = await json(['get', 'daemonset', 'agent', '-n', 'ds']);
    assert.deepEqual([ds.status.desiredNumberScheduled, ds.status.currentNumberScheduled, ds.status.numberReady], [2, 2, 2]);
    await kubectl(['taint', 'nodes', 'sim-node-2', 'dedicated=x:NoSchedule-']);
    // Without the taint the third node gets its pod too.
    await until('a daemon pod on sim-node-2', async () => ((await pods('ds', 'app=agent')).some((p) => p.spec.nodeName === 'sim-node-2' && ready(p)) ? true : undefined));
    await rolloutStatus('daemonset/agent', 'ds');
  });

  test('Job completes; a Job made from a CronJob (create job --from) completes', async () => {
    // The CronJob controller's clock is not injectable from here: its firing on schedule is shown
    // with a fake clock in src/cluster/controllers/cronjob; this shows the Job path end to end.
    await kubectl(['create', 'namespace', 'batch']);
    await kubectl(['create', 'job', 'once', '--image=busybox', '-n', 'batch', '--', 'true']);
    const w = await kubectl(['wait', '--for=condition=complete', 'job/once', '-n', 'batch', '--timeout=60s'], undefined, 70_000);
    assert.match(w.stdout, /job.batch\/once condition met/);
    const job = await json(['get', 'job', 'once', '-n', 'batch']);
    assert.equal(job.status.succeeded, 1);
    assert.equal((await pods('batch', 'job-name=once'))[0].status.phase, 'Succeeded');

    await kubectl(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=* * * * *', '-n', 'batch', '--', 'true']);
    await kubectl(['create', 'job', 'tick-manual', '--from=cronjob/tick', '-n', 'batch']);
    await kubectl(['wait', '--for=condition=complete', 'job/tick-manual', '-n', 'batch', '--timeout=60s'], undefined, 70_000);
    const manual = await json(['get', 'job', 'tick-manual', '-n', 'batch']);
    assert.equal(manual.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(manual.metadata.ownerReferences[0].kind, 'CronJob');
    assert.equal(manual.metadata.ownerReferences[0].name, 'tick');
    assert.equal(manual.status.succeeded, 1);
  });

  test('drain stops at a PodDisruptionBudget with no disruption allowed, and succeeds when it allows one', async () => {
    await kubectl(['create', 'namespace', 'guarded']);
    // Required anti-affinity puts one replica on each of the three nodes, so one is on sim-node-0.
    await kubectl(['apply', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: {name: guarded, namespace: guarded}
spec:
  replicas: 3
  selector: {matchLabels: {app: guarded}}
  template:
    metadata: {labels: {app: guarded}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: guarded}}, topologyKey: kubernetes.io/hostname}
      containers: [{name: c, image: nginx}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: guarded, namespace: guarded}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: guarded}}
`);
    await rolloutStatus('deployment/guarded', 'guarded');
    const onNode0 = (await pods('guarded', 'app=guarded')).find((p) => p.spec.nodeName === 'sim-node-0');
    assert.ok(onNode0, 'a guarded pod runs on sim-node-0');
    const victim = onNode0.metadata.name!;
    const pdbState = async () => {
      const pdb = await json(['get', 'pdb', 'guarded', '-n', 'guarded']);
      return pdb.status?.observedGeneration === pdb.metadata.generation ? pdb.status : undefined;
    };
    await until('the PDB counts 3 healthy pods', async () => {
      const s = await pdbState();
      return s?.currentHealthy === 3 ? s : undefined;
    });

    const drain = ['drain', 'sim-node-0', '--ignore-daemonsets', '--delete-emptydir-data'];
    const blocked = await run([...drain, '--timeout=5s'], undefined, 30_000);
    assert.notEqual(blocked.code, 0, blocked.stdout);
    assert.match(blocked.stderr, new RegExp(`error when evicting pods/"${victim}" -n "guarded" \\(will retry after 5s\\): Cannot evict pod as it would violate the pod's disruption budget\\.`));
    assert.match(blocked.stderr, /error: unable to drain node "sim-node-0" due to error: error when evicting pods\/"[^"]+" -n "guarded": global timeout reached: 5s/);
    const still = await json(['get', 'pod', victim, '-n', 'guarded']);
    assert.equal(still.metadata.deletionTimestamp, undefined);
    assert.equal((await json(['get', 'node', 'sim-node-0'])).spec.unschedulable, true);

    await kubectl(['patch', 'pdb', 'guarded', '-n', 'guarded', '--type=merge', '-p', '{"spec":{"minAvailable":2}}']);
    await until('the PDB allows one disruption', async () => ((await pdbState())?.disruptionsAllowed === 1 ? true : undefined));
    const drained = await kubectl([...drain, '--timeout=60s'], undefined, 70_000);
    assert.match(drained.stdout, new RegExp(`pod/${victim} evicted`));
    assert.match(drained.stdout, /node\/sim-node-0 drained/);
    // Nothing that drain evicts is left on the node (DaemonSet pods stay, as --ignore-daemonsets says).
    const left = (await json(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=sim-node-0'])).items as K8sObject[];
    assert.deepEqual(left.filter((p) => p.metadata.ownerReferences?.[0]?.kind !== 'DaemonSet' && !['Succeeded', 'Failed'].includes(p.status?.phase)).map((p) => p.metadata.name), []);
    await kubectl(['uncordon', 'sim-node-0']);
    await kubectl(['delete', 'namespace', 'guarded', '--wait=false']);
  });

  test('two schedulers: my-scheduler binds its pods, default-scheduler the others, an unknown name stays Pending', async () => {
    const second: SchedulerProcess = await startSchedulerProcess({
      server: c.cp.url,
      mintIdentity: (id) => mintClientIdentity({ certPem: c.cp.pki.caCertPem, keyPem: c.cp.pki.caKeyPem }, id, { now: new Date() }),
      profiles: [defaultProfile('my-scheduler')],
      leaderElection: false,
      log: { info() {}, warn() {}, error() {} },
    });
    try {
      await kubectl(['create', 'namespace', 'sched']);
      const pod = (name: string, schedulerName = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: sched}
spec:
  ${schedulerName ? `schedulerName: ${schedulerName}` : ''}
  containers: [{name: c, image: nginx}]
`;
      // The unknown one first: by the time the later two are bound, both schedulers have seen it.
      await kubectl(['apply', '-f', '-'], pod('nobody', 'no-such-scheduler'));
      await kubectl(['apply', '-f', '-'], `${pod('mine', 'my-scheduler')}---\n${pod('plain')}`);
      const scheduledBy = async (name: string) =>
        until(`${name} Scheduled`, async () => {
          const evs = (await json(['get', 'events', '-n', 'sched', '--field-selector', `involvedObject.name=${name}`])).items;
          return evs.find((e: K8sObject) => e.reason === 'Scheduled');
        });
      const mine = await scheduledBy('mine');
      assert.equal(mine.reportingComponent, 'my-scheduler');
      // Recorded through events.k8s.io/v1 as kube-scheduler does: the core view's source is the
      // event's deprecatedSource, empty (upstream's Convert_v1_Event_To_core_Event).
      assert.equal(mine.source?.component, undefined);
      assert.match(mine.message, /^Successfully assigned sched\/mine to sim-node-\d$/);
      const plain = await scheduledBy('plain');
      assert.equal(plain.reportingComponent, 'default-scheduler');
      assert.equal(plain.source?.component, undefined);
      for (const name of ['mine', 'plain']) await until(`${name} Running`, async () => (ready(await json(['get', 'pod', name, '-n', 'sched'])) ? true : undefined));

      const nobody = await json(['get', 'pod', 'nobody', '-n', 'sched']);
      assert.equal(nobody.spec.nodeName, undefined);
      assert.equal(nobody.status.phase, 'Pending');
      // No scheduler claimed it: not even a PodScheduled=False condition or a FailedScheduling event.
      assert.equal(nobody.status.conditions?.find((x: any) => x.type === 'PodScheduled'), undefined);
      assert.deepEqual((await json(['get', 'events', '-n', 'sched', '--field-selector', 'involvedObject.name=nobody'])).items, []);
    } finally {
      await second.stop();
    }
    await kubectl(['delete', 'namespace', 'sched', '--wait=false']);
  });

  test('rollout history, pause, resume and restart of a Deployment', async () => {
    const NS = 'roll';
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=2', '-n', NS]);
    await rolloutStatus('deployment/web', NS);
    const sets = async (): Promise<K8sObject[]> => (await json(['get', 'replicasets', '-n', NS, '-l', 'app=web'])).items;
    const podImages = async () => (await pods(NS, 'app=web')).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.spec.containers[0].image);

    const h1 = await kubectl(['rollout', 'history', 'deployment/web', '-n', NS]);
    assert.match(h1.stdout, /^deployment.apps\/web $/m);
    assert.match(h1.stdout, /^REVISION\s+CHANGE-CAUSE$/m);
    assert.match(h1.stdout, /^1\s+<none>$/m);

    const paused = await kubectl(['rollout', 'pause', 'deployment/web', '-n', NS]);
    assert.match(paused.stdout, /deployment.apps\/web paused/);
    await kubectl(['set', 'image', 'deployment/web', 'nginx=nginx:2', '-n', NS]);
    // The controller has seen the change (observedGeneration) and reports the pause, yet rolls nothing.
    const d = await until('the paused Deployment observed', async () => {
      const x = await json(['get', 'deployment', 'web', '-n', NS]);
      return x.status.observedGeneration === x.metadata.generation ? x : undefined;
    });
    assert.equal(d.spec.paused, true);
    const progressing = d.status.conditions.find((x: any) => x.type === 'Progressing');
    assert.deepEqual([progressing.status, progressing.reason], ['Unknown', 'DeploymentPaused']);
    assert.equal((await sets()).length, 1);
    assert.deepEqual(await podImages(), ['nginx', 'nginx']);

    const resumed = await kubectl(['rollout', 'resume', 'deployment/web', '-n', NS]);
    assert.match(resumed.stdout, /deployment.apps\/web resumed/);
    await rolloutStatus('deployment/web', NS);
    await until('2 pods of nginx:2', async () => ((await podImages()).join() === 'nginx:2,nginx:2' ? true : undefined));
    const h2 = await kubectl(['rollout', 'history', 'deployment/web', '-n', NS]);
    assert.match(h2.stdout, /^1\s+<none>$/m);
    assert.match(h2.stdout, /^2\s+<none>$/m);
    const rev2 = await kubectl(['rollout', 'history', 'deployment/web', '-n', NS, '--revision=2']);
    assert.match(rev2.stdout, /Image:\s+nginx:2/);

    const restarted = await kubectl(['rollout', 'restart', 'deployment/web', '-n', NS]);
    assert.match(restarted.stdout, /deployment.apps\/web restarted/);
    await rolloutStatus('deployment/web', NS);
    const after = await json(['get', 'deployment', 'web', '-n', NS]);
    const restartedAt = after.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    assert.ok(restartedAt && !Number.isNaN(Date.parse(restartedAt)), `restartedAt ${restartedAt}`);
    const current = (await sets()).filter((s) => s.spec.replicas > 0);
    assert.equal(current.length, 1);
    assert.equal(current[0].metadata.annotations['deployment.kubernetes.io/revision'], '3');
    assert.equal(current[0].spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], restartedAt);
    await until('2 restarted pods', async () => {
      const l = (await pods(NS, 'app=web')).filter((p) => !p.metadata.deletionTimestamp);
      return l.length === 2 && l.every((p) => p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] === restartedAt && ready(p)) ? true : undefined;
    });
    assert.match((await kubectl(['rollout', 'history', 'deployment/web', '-n', NS])).stdout, /^3\s+<none>$/m);
  });
});
