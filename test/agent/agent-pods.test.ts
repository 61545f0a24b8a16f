/**
 * Pod workers on the fake runtime, through a real API server: a pod bound to the node goes
 * Pending → Running with upstream's conditions and containerStatuses, its env resolved through
 * the API as the node; a crashing container is restarted then held in CrashLoopBackOff; init
 * containers run first; restartPolicy Never ends in Succeeded or Failed (OOMKilled); a delete
 * honours the grace period and ends with the agent's own delete; an agent restart re-adopts the
 * running containers without starting anything again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resources } from '../../src/cluster/client/resources.ts';
import { isNotFound } from '../../src/cluster/client/errors.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import type { ContainerConfig } from '../../src/cluster/agent/runtime/types.ts';
import type { FakeProgram, FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';
import type { Agent } from '../../src/cluster/agent/agent.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';

/** Each container's program comes from its first command word: crash, oom, exit0, trap, else run. */
function program(cfg: ContainerConfig): FakeProgram {
  switch (cfg.container.command?.[0]) {
    case 'crash':
      return { exitAfterMs: 20, exitCode: 1 };
    case 'oom':
      return { exitAfterMs: 20, exitCode: 137, reason: 'OOMKilled' };
    case 'exit0':
      return { exitAfterMs: 100, exitCode: 0 };
    case 'trap':
      return { ignoreTerm: true };
    default:
      return {};
  }
}

let ac: AgentCluster;
let agent: Agent;
let runtime: FakeRuntime;
const statePath = () => join(ac.dir, 'fake-runtime.json');

before(async () => {
  ac = await startAgentCluster();
  ({ agent, runtime } = await ac.start('node-p', { fake: { program } }));
});
after(() => ac.close());

const getPod = (name: string) => ac.admin.get<K8sObject>(resources.pods, 'default', name);
const mkPod = (name: string, spec: Record<string, unknown>) => ac.admin.create<K8sObject>(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { nodeName: 'node-p', ...spec } });
const cond = (pod: K8sObject, type: string) => (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === type);

test('a pod bound to the node goes Running with containerStatuses and conditions, env resolved through the API', async () => {
  await ac.admin.create(resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { colour: 'blue', size: 'L' } });
  await ac.admin.create(resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raw' }, data: { '1st': 'skipped: not a variable name', ok: 'yes' } });
  await ac.admin.create(resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, stringData: { password: 's3cret' } });
  const created = await mkPod('web', {
    containers: [{
      name: 'app', image: 'example.test/web:1.0',
      resources: { limits: { memory: '64Mi' } },
      envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }, { configMapRef: { name: 'raw' } }],
      env: [
        { name: 'COLOUR', valueFrom: { configMapKeyRef: { name: 'cm', key: 'colour' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'MISSING', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'PLAIN', value: 'v' },
      ],
    }],
  });
  const pod = await eventually(async () => {
    const p = await getPod('web');
    return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready && p;
  }, 'the pod is Running and ready');
  const cs = pod.status.containerStatuses[0];
  assert.equal(cs.name, 'app');
  assert.equal(cs.image, 'example.test/web:1.0');
  assert.match(cs.imageID, /^example\.test\/web@sha256:[0-9a-f]{64}$/);
  assert.match(cs.containerID, /^fake:\/\/[0-9a-f]{64}$/);
  assert.equal(cs.restartCount, 0);
  assert.equal(cs.started, true);
  assert.ok(cs.state.running.startedAt);
  assert.deepEqual(cs.lastState, {});
  for (const t of ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']) assert.equal(cond(pod, t)?.status, 'True', t);
  assert.equal(pod.status.hostIP, '127.0.0.1');
  assert.ok(pod.status.startTime);
  const env = Object.fromEntries(runtime.envOf(cs.containerID.slice('fake://'.length))!.map((e) => [e.name, e.value]));
  const own = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('KUBERNETES_')));
  assert.deepEqual(own, {
    CM_colour: 'blue', CM_size: 'L', ok: 'yes', COLOUR: 'blue', PASSWORD: 's3cret', POD_NAME: 'web', APP: 'web', NODE: 'node-p', MEM_MI: '64', CPU_LIMIT: '4', PLAIN: 'v',
  });
  // The Service variables of default/kubernetes, after the container's own.
  const kubernetes = await ac.admin.get<K8sObject>(resources.services, 'default', 'kubernetes');
  assert.equal(env.KUBERNETES_SERVICE_HOST, kubernetes.spec.clusterIP);
  assert.equal(env.KUBERNETES_SERVICE_PORT, '443');
  assert.equal(pod.metadata.uid, created.metadata.uid);
  // The kubelet's events, about the container, from the node.
  const events = await eventually(async () => {
    const evs = (await ac.admin.list<K8sObject>(resources.events, 'default')).items.filter((e) => e.involvedObject.uid === created.metadata.uid);
    return evs.length >= 3 && evs;
  }, 'events');
  const byReason = new Map(events.map((e) => [e.reason, e]));
  assert.equal(byReason.get('Pulling')?.message, 'Pulling image "example.test/web:1.0"');
  assert.equal(byReason.get('Created')?.message, 'Created container: app');
  assert.equal(byReason.get('Started')?.message, 'Started container app');
  assert.equal(byReason.get('Started')?.involvedObject.fieldPath, 'spec.containers{app}');
  assert.deepEqual(byReason.get('Started')?.source, { component: 'kubelet', host: 'node-p' });
});

test('a missing required configMap key is CreateContainerConfigError with upstream\'s message', async () => {
  await mkPod('badenv', { containers: [{ name: 'app', image: 'example.test/web:1.0', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'absent' } } }] }] });
  const pod = await eventually(async () => {
    const p = await getPod('badenv');
    return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' && p;
  }, 'CreateContainerConfigError');
  assert.equal(pod.status.containerStatuses[0].state.waiting.message, "couldn't find key absent in ConfigMap default/cm");
  assert.equal(pod.status.phase, 'Pending');
  assert.equal(cond(pod, 'Ready').reason, 'ContainersNotReady');
  assert.equal(cond(pod, 'Ready').message, 'containers with unready status: [app]');
});

test('a crashing container is restarted at once, then held in CrashLoopBackOff with the last termination kept', async () => {
  const created = await mkPod('crash', { containers: [{ name: 'c', image: 'example.test/crash:1', command: ['crash'] }] });
  const pod = await eventually(async () => {
    const p = await getPod('crash');
    return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' && p;
  }, 'CrashLoopBackOff');
  const cs = pod.status.containerStatuses[0];
  assert.equal(cs.restartCount, 1, 'the first restart was immediate; the second waits 10 s');
  assert.equal(cs.state.waiting.message, `back-off 10s restarting failed container=c pod=crash_default(${created.metadata.uid})`);
  assert.equal(cs.lastState.terminated.exitCode, 1);
  assert.equal(cs.lastState.terminated.reason, 'Error');
  assert.equal(cs.ready, false);
  assert.equal(pod.status.phase, 'Running', 'restartPolicy Always: containers are restarting');
  const backOff = await eventually(async () => (await ac.admin.list<K8sObject>(resources.events, 'default')).items.find((e) => e.involvedObject.uid === created.metadata.uid && e.reason === 'BackOff'), 'a BackOff event');
  assert.equal(backOff.type, 'Warning');
  assert.equal(backOff.message, `Back-off restarting failed container c in pod crash_default(${created.metadata.uid})`);
});

test('init containers run first, in order; then the containers', async () => {
  await mkPod('init', {
    initContainers: [{ name: 'i1', image: 'example.test/x:1', command: ['exit0'] }, { name: 'i2', image: 'example.test/x:1', command: ['exit0'] }],
    containers: [{ name: 'main', image: 'example.test/x:1' }],
  });
  const pod = await eventually(async () => {
    const p = await getPod('init');
    return p.status?.phase === 'Running' && p;
  }, 'the pod runs after its init containers');
  const [i1, i2] = pod.status.initContainerStatuses;
  assert.equal(i1.state.terminated.reason, 'Completed');
  assert.equal(i2.state.terminated.reason, 'Completed');
  assert.ok(i1.state.terminated.finishedAt <= i2.state.terminated.startedAt, 'i2 started after i1 finished');
  assert.equal(i1.ready, true);
  assert.equal(cond(pod, 'Initialized').status, 'True');
});

test('restartPolicy Never: a container that exits 0 makes the pod Succeeded; an OOM-killed one Failed with reason OOMKilled', async () => {
  await mkPod('job-ok', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'example.test/x:1', command: ['exit0'] }] });
  await mkPod('job-oom', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'example.test/x:1', command: ['oom'] }] });
  const ok = await eventually(async () => {
    const p = await getPod('job-ok');
    return p.status?.phase === 'Succeeded' && p;
  }, 'Succeeded');
  assert.equal(ok.status.containerStatuses[0].state.terminated.reason, 'Completed');
  assert.equal(cond(ok, 'Ready').reason, 'PodCompleted');
  const oom = await eventually(async () => {
    const p = await getPod('job-oom');
    return p.status?.phase === 'Failed' && p;
  }, 'Failed');
  assert.equal(oom.status.containerStatuses[0].state.terminated.reason, 'OOMKilled');
  assert.equal(oom.status.containerStatuses[0].state.terminated.exitCode, 137);
});

test('delete honours the grace period: the container gets it, the pod stays Terminating until it exits, then the agent deletes it', async () => {
  const created = await mkPod('graceful', { terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'example.test/x:1', command: ['trap'] }] });
  await eventually(async () => (await getPod('graceful')).status?.phase === 'Running', 'Running');
  const id = (await getPod('graceful')).status.containerStatuses[0].containerID.slice('fake://'.length);
  await ac.admin.delete(resources.pods, 'default', 'graceful', { gracePeriodSeconds: 2 });
  const stop = await eventually(async () => runtime.calls.find((c) => c.op === 'stop' && c.id === id), 'the container is asked to stop');
  assert.equal(stop.grace, 2, 'the deletion grace period, not the spec\'s 30 s');
  // The container traps SIGTERM: while the grace runs, the pod is still there, terminating.
  const during = await getPod('graceful');
  assert.ok(during.metadata.deletionTimestamp);
  assert.equal((await runtime.containerStatus(id))?.state, 'running');
  await eventually(async () => {
    try {
      await getPod('graceful');
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  }, 'the pod is gone', 200, 50);
  const removed = runtime.calls.find((c) => c.op === 'remove' && c.id === id);
  assert.ok(removed && removed.at - stop.at >= 1_900, 'removed only after the grace period');
  assert.ok(created.metadata.uid);
});

test('an agent restart re-adopts running containers without starting them again', async () => {
  const path = statePath();
  const first = await ac.start('node-r', { fake: { program, statePath: path } });
  const mk = await ac.admin.create<K8sObject>(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'keep' }, spec: { nodeName: 'node-r', containers: [{ name: 'c', image: 'example.test/x:1' }] } });
  const before = await eventually(async () => {
    const p = await getPod('keep');
    return p.status?.phase === 'Running' && p;
  }, 'Running');
  await first.agent.stop();
  const second = await ac.start('node-r', { fake: { program, statePath: path } });
  // Give the new agent's workers every chance to act: its informer has synced, the runtime was
  // relisted, and the pod was synced.
  await eventually(async () => second.agent.workers.size > 0 && second.agent.workers.busy() === 0, 'the pod was synced by the new agent');
  await second.agent.workers.whenIdle();
  const afterRestart = await getPod('keep');
  assert.equal(second.runtime.starts, 0, 'nothing started again');
  assert.equal(second.runtime.calls.filter((c) => c.op === 'createSandbox').length, 0, 'no new sandbox');
  assert.equal(afterRestart.status.phase, 'Running');
  assert.equal(afterRestart.status.containerStatuses[0].containerID, before.status.containerStatuses[0].containerID);
  assert.equal(afterRestart.status.containerStatuses[0].restartCount, 0);
  assert.equal(afterRestart.metadata.uid, mk.metadata.uid);
  assert.equal(agent.nodeName, 'node-p', 'the other agent was not involved');
});

test('with a pod network, a pod gets its address before its containers and gives it back when it goes', async () => {
  const calls: string[] = [];
  const addresses = new Map<string, string>();
  const network = {
    async setUp(pod: { uid: string; name: string }, netns: string) {
      calls.push(`setUp ${pod.name} ${netns}`);
      if (!addresses.has(pod.uid)) addresses.set(pod.uid, `10.244.0.${addresses.size + 2}`);
      return { ips: [addresses.get(pod.uid)!] };
    },
    async tearDown(pod: { uid: string; name: string }) {
      calls.push(`tearDown ${pod.name}`);
      addresses.delete(pod.uid);
    },
    addressOf: (uid: string) => addresses.get(uid),
  };
  await ac.start('node-n', { fake: { program }, network });
  await ac.admin.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'netted' }, spec: { nodeName: 'node-n', containers: [{ name: 'c', image: 'example.test/x:1' }] } });
  const pod = await eventually(async () => {
    const p = await getPod('netted');
    return p.status?.phase === 'Running' && p;
  }, 'Running');
  assert.equal(pod.status.podIP, '10.244.0.2');
  assert.deepEqual(pod.status.podIPs, [{ ip: '10.244.0.2' }]);
  assert.match(calls[0]!, /^setUp netted \/proc\/1\/ns\/net$/);
  await ac.admin.delete(resources.pods, 'default', 'netted', { gracePeriodSeconds: 0 });
  await eventually(async () => calls.includes('tearDown netted'), 'the address is given back');
});

test('a pod beyond the node\'s allocatable pods is rejected (Failed, OutOfpods) and never started', async () => {
  const { HOST } = await import('./agent-helpers.ts');
  const small = await ac.start('node-small', { fake: { program }, host: { ...HOST, allocatable: { ...HOST.allocatable, pods: '1' } } });
  const mk = (name: string) => ac.admin.create<K8sObject>(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'node-small', containers: [{ name: 'c', image: 'example.test/x:1' }] } });
  await mk('first');
  await eventually(async () => (await getPod('first')).status?.phase === 'Running', 'the first pod runs');
  await mk('second');
  const second = await eventually(async () => {
    const p = await getPod('second');
    return p.status?.phase === 'Failed' && p;
  }, 'the second pod is rejected');
  assert.equal(second.status.reason, 'OutOfpods');
  assert.equal(second.status.message, "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1");
  assert.equal(small.runtime.calls.filter((c) => c.op === 'createSandbox').length, 1, 'only the first pod got a sandbox');
});

test('pod admission reads the agent\'s own Node: a node selector it does not match and a NoExecute taint it does not tolerate are rejected; a label added later admits the next pod', async () => {
  const tainted = await ac.start('node-sel', { fake: { program } });
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.nodes, '', 'node-sel').catch(() => undefined)) !== undefined, 'the Node is registered');
  const mk = (name: string, spec: Record<string, unknown>) => ac.admin.create<K8sObject>(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'node-sel', containers: [{ name: 'c', image: 'example.test/x:1' }], ...spec } });
  const failed = async (name: string) => eventually(async () => {
    const p = await getPod(name);
    return p.status?.phase === 'Failed' && p;
  }, `${name} is rejected`);
  await mk('wrong-zone', { nodeSelector: { zone: 'b' } });
  const a = await failed('wrong-zone');
  assert.equal(a.status.reason, 'NodeAffinity');
  assert.equal(a.status.message, "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
  await ac.admin.patch(resources.nodes, '', 'node-sel', 'merge', { metadata: { labels: { zone: 'b' } }, spec: { taints: [{ key: 'evict', effect: 'NoExecute' }] } });
  await mk('untolerated', { nodeSelector: { zone: 'b' } });
  const b = await failed('untolerated');
  assert.equal(b.status.reason, 'TaintToleration');
  assert.equal(b.status.message, "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate");
  await mk('fits', { nodeSelector: { zone: 'b' }, tolerations: [{ key: 'evict', operator: 'Exists', effect: 'NoExecute' }] });
  await eventually(async () => (await getPod('fits')).status?.phase === 'Running', 'the matching, tolerating pod runs');
  assert.equal(tainted.runtime.calls.filter((c) => c.op === 'createSandbox').length, 1, 'only the admitted pod got a sandbox');
});

test('a pod deleted while it waits in the start gate gets no sandbox: the gate looks at the pod again when its turn comes', async () => {
  const gated = await ac.start('node-gate', { fake: { program }, startConcurrency: 1 });
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.nodes, '', 'node-gate').catch(() => undefined)) !== undefined, 'the Node is registered');
  // The first pod's sandbox holds the only slot until released.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const sandboxFor: string[] = [];
  const create = gated.runtime.createSandbox.bind(gated.runtime);
  gated.runtime.createSandbox = async (cfg) => {
    sandboxFor.push(cfg.pod.name);
    if (cfg.pod.name === 'gate-first') await held;
    return create(cfg);
  };
  const mk = (name: string) => ac.admin.create<K8sObject>(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'node-gate', containers: [{ name: 'c', image: 'example.test/x:1' }] } });
  await mk('gate-first');
  await eventually(async () => sandboxFor.includes('gate-first'), 'the first pod holds the gate');
  // Which pods the agent's informer has told the workers about (the store is updated before its handlers run).
  const updates: string[] = [];
  const update = gated.agent.workers.update.bind(gated.agent.workers);
  gated.agent.workers.update = (uid) => {
    updates.push(uid);
    update(uid);
  };
  const second = await mk('gate-second');
  await eventually(async () => gated.agent.workers.busy() === 2, 'the second pod\'s worker waits behind the first');
  await new Promise((r) => setTimeout(r, 100));
  const before = updates.filter((u) => u === second.metadata.uid).length;
  await ac.admin.delete(resources.pods, 'default', 'gate-second', { gracePeriodSeconds: 0 });
  await eventually(async () => updates.filter((u) => u === second.metadata.uid).length > before, 'the agent sees the deletion');
  release();
  await eventually(async () => (await getPod('gate-first')).status?.phase === 'Running', 'the first pod runs');
  await eventually(async () => {
    try {
      await getPod('gate-second');
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  }, 'the second pod is gone');
  // Let the relist and the worker settle, then check nothing was created for the deleted pod.
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(sandboxFor, ['gate-first'], 'the deleted pod never got a sandbox');
  assert.equal(gated.runtime.calls.filter((c) => c.op === 'createSandbox').length, 1);
});
