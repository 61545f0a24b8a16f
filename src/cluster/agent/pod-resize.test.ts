import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { FakeImageService, FakeRuntime } from './runtime/fake.ts';
import { PodSyncer } from './pod-sync.ts';
import { bytesText, statusResources } from './pod-resize.ts';
import { AllocationCheckpoint } from './allocation-checkpoint.ts';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const quiet = { warn() {}, info() {} };
type Cond = { type: string; status: string; reason?: string; message?: string };

/** Pod p (cpu 500m/1, memory 64Mi/128Mi) beside pod other (cpu 1) on a 2-cpu, 1Gi node, both running on the fake runtime. */
async function node(policy?: Array<{ resourceName: string; restartPolicy: string }>, allocations?: AllocationCheckpoint) {
  const now = () => Date.parse('2026-01-01T00:00:00Z');
  const client = new FakeApiClient();
  const mk = (name: string, created: string, res: object, extra: object = {}) =>
    client.seed<K8sObject>(resources.pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', creationTimestamp: created },
      spec: { nodeName: 'n', containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent', resources: res, ...extra }] },
    }) as Pod;
  const other = mk('other', '2026-01-01T00:00:00Z', { requests: { cpu: '1' } });
  let p = mk('p', '2026-01-01T00:00:01Z', { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } }, policy ? { resizePolicy: policy } : {});
  let pods = [other, p];
  const runtime = new FakeRuntime({ now });
  const newSyncer = () => new PodSyncer({
    runtime, images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable: { cpu: '2', memory: '1Gi', pods: '110' },
    scheme: 'fake', now, pods: () => pods, requeueAfter() {}, log: quiet, ...(allocations ? { allocations } : {}),
  });
  let syncer = newSyncer();
  await syncer.sync(other);
  await syncer.sync(p);
  const stored = () => client.stored<K8sObject>(resources.pods, 'default').find((x) => x.metadata.name === 'p')!;
  const containers = async () => (await runtime.list()).containers.filter((c) => c.pod.name === 'p');
  return {
    client, runtime, stored, containers,
    get syncer() {
      return syncer;
    },
    /** A new agent over the same runtime (an agent restart): nothing remembered but what the runtime has. */
    async restart() {
      syncer.probes.stop();
      syncer = newSyncer();
      // The new agent's first relist.
      syncer.index.observe(await runtime.list());
    },
    /** The spec changed through pods/resize while no agent ran. */
    setSpec(res: object) {
      p = { ...p, spec: { ...p.spec!, containers: [{ ...p.spec!.containers[0]!, resources: res }] } };
      pods = pods.map((x) => (x.metadata?.name === 'p' ? p : x));
    },
    /** The spec changed through pods/resize, then p synced. */
    async resize(res: object) {
      this.setSpec(res);
      await syncer.sync(p);
    },
    async resync() {
      await syncer.sync(p);
    },
    dropOther() {
      pods = [p];
    },
    /** Another pod (created after p) synced: its phase. */
    async add(name: string, res: object) {
      const x = mk(name, '2026-01-01T00:00:02Z', res);
      pods = [...pods, x];
      await syncer.sync(x);
      return client.stored<K8sObject>(resources.pods, 'default').find((y) => y.metadata.name === name)!.status;
    },
    cond: (type: string) => ((stored().status!.conditions ?? []) as Cond[]).find((c) => c.type === type),
  };
}

test('a resize that fits is applied to the running container in place: no restart, PodResizeInProgress while applying', async () => {
  const n = await node();
  const [c] = await n.containers();
  assert.deepEqual(n.stored().status!.containerStatuses[0].resources, { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } });
  assert.equal(n.stored().status!.allocatedResources, undefined);
  await n.resize({ requests: { cpu: '700m', memory: '64Mi' }, limits: { cpu: '1500m', memory: '256Mi' } });
  assert.deepEqual(await n.runtime.containerResources(c!.id), { cpu: { shares: 716, quota: 150000, period: 100000 }, memory: { limit: 268435456, swap: 268435456 } });
  assert.equal(n.runtime.calls.filter((x) => x.op === 'update' && x.id === c!.id).length, 1);
  // The pod's cgroup is widened before the container is set and brought to the allocation after.
  const ops = n.runtime.calls.filter((x) => x.op === 'update' || (x.op === 'updatePod' && x.id === c!.sandboxId)).map((x) => x.op);
  assert.deepEqual(ops, ['updatePod', 'update', 'updatePod']);
  assert.deepEqual(n.runtime.podResources.get(c!.sandboxId)!.containers[0]!.resources, { requests: { cpu: '700m', memory: '64Mi' }, limits: { cpu: '1500m', memory: '256Mi' } });
  assert.equal((await n.containers()).length, 1, 'the same container');
  const cs = n.stored().status!.containerStatuses[0];
  assert.equal(cs.restartCount, 0);
  assert.deepEqual(cs.resources, { requests: { cpu: '700m', memory: '64Mi' }, limits: { cpu: '1500m', memory: '256Mi' } });
  assert.equal(n.cond('PodResizeInProgress'), undefined);
  assert.equal(n.cond('PodResizePending'), undefined);
  const written = n.client.writes().filter((a) => a.verb === 'patch' && a.subresource === 'status' && a.name === 'p');
  assert.ok(written.some((a) => JSON.stringify(a.object).includes('"PodResizeInProgress"')), 'PodResizeInProgress was reported while applying');
  n.syncer.probes.stop();
});

test('a resize beyond the node is Infeasible; one that does not fit beside the other pods is Deferred, then applied once it fits', async () => {
  const n = await node();
  const [c] = await n.containers();
  await n.resize({ requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '1', memory: '4Gi' } });
  assert.deepEqual(n.cond('PodResizePending'), {
    type: 'PodResizePending', status: 'True', lastProbeTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z',
    reason: 'Infeasible', message: "Node didn't have enough capacity: memory, requested: 2147483648, capacity: 1073741824",
  });
  assert.equal(n.runtime.calls.filter((x) => x.op === 'update').length, 0);
  assert.equal(n.stored().status!.containerStatuses[0].resources.limits.memory, '128Mi', 'still what it runs with');

  await n.resize({ requests: { cpu: '1500m', memory: '64Mi' }, limits: { cpu: '2', memory: '128Mi' } });
  assert.equal(n.cond('PodResizePending')!.reason, 'Deferred');
  assert.equal(n.cond('PodResizePending')!.message, "Node didn't have enough resource: cpu, requested: 1500, used: 1000, capacity: 2000");
  assert.equal((await n.runtime.containerResources(c!.id))!.cpu.shares, 512);
  // A new pod is admitted against p's allocation (500m), not its pending spec (1500m).
  const third = await n.add('third', { requests: { cpu: '500m' } });
  assert.equal(third!.phase, 'Running', JSON.stringify(third));
  n.dropOther();
  await n.resync();
  assert.equal(n.cond('PodResizePending'), undefined);
  assert.equal((await n.runtime.containerResources(c!.id))!.cpu.shares, 1536);
  assert.equal(n.stored().status!.containerStatuses[0].resources.requests.cpu, '1500m');
  n.syncer.probes.stop();
});

test('resizePolicy RestartContainer restarts the container with the new resources', async () => {
  const n = await node([{ resourceName: 'memory', restartPolicy: 'RestartContainer' }]);
  const [before] = await n.containers();
  await n.resize({ requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '1', memory: '100Mi' } });
  const after = (await n.containers()).sort((a, b) => a.attempt - b.attempt);
  assert.equal(after.length, 2);
  assert.equal(after[0]!.id, before!.id);
  assert.equal(after[0]!.state, 'exited');
  assert.equal(after[1]!.state, 'running');
  assert.equal((await n.runtime.containerResources(after[1]!.id))!.memory!.limit, 100 * 1024 * 1024);
  assert.equal(n.runtime.calls.filter((x) => x.op === 'update').length, 0);
  const cs = n.stored().status!.containerStatuses[0];
  assert.equal(cs.restartCount, 1);
  assert.equal(cs.resources.limits.memory, '100Mi');
  // The next sync sees the new container at the allocation: no resize in progress.
  await n.resync();
  assert.equal(n.cond('PodResizeInProgress'), undefined);
  n.syncer.probes.stop();
});

test('status resources: the cgroup values printed as upstream converts them', () => {
  assert.equal(bytesText(134217728), '128Mi');
  assert.equal(bytesText(1610612736), '1536Mi');
  assert.equal(bytesText(1000000000), '1000000000');
  const alloc = { requests: { cpu: '100m', memory: '1G' }, limits: { cpu: '250m', memory: '1G' } };
  // shares 102 → ceil(102000/1024) = 100m; quota 25000/100000 → 250m; memory in bytes, BinarySI.
  assert.deepEqual(statusResources(alloc, { cpu: { shares: 102, quota: 25000, period: 100000 }, memory: { limit: 1e9, swap: 1e9 } }), { requests: { cpu: '100m', memory: '1G' }, limits: { cpu: '250m', memory: '1000000000' } });
  // At or below the minimum shares the allocated value stays.
  assert.deepEqual(statusResources({ requests: { cpu: '1m' } }, { cpu: { shares: 2 } }), { requests: { cpu: '1m' } });
});

test('a container restarted after a crash keeps the allocation, not a Deferred spec', async () => {
  const n = await node();
  const [c] = await n.containers();
  await n.resize({ requests: { cpu: '1500m', memory: '64Mi' }, limits: { cpu: '2', memory: '128Mi' } });
  assert.equal(n.cond('PodResizePending')!.reason, 'Deferred');
  n.runtime.exitContainer(c!.id, 1);
  await n.resync();
  const next = (await n.containers()).find((x) => x.state === 'running')!;
  assert.notEqual(next.id, c!.id);
  assert.deepEqual(await n.runtime.containerResources(next.id), { cpu: { shares: 512, quota: 100000, period: 100000 }, memory: { limit: 128 * 1024 * 1024, swap: 128 * 1024 * 1024 } });
  assert.equal(n.stored().status!.containerStatuses[0].resources.requests.cpu, '500m');
  n.syncer.probes.stop();
});

test('after an agent restart a resize asked for meanwhile is judged, not taken as admitted', async () => {
  const n = await node();
  const [c] = await n.containers();
  await n.restart();
  n.setSpec({ requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '1', memory: '4Gi' } });
  await n.resync();
  assert.equal(n.cond('PodResizePending')!.reason, 'Infeasible');
  assert.equal((await n.runtime.containerResources(c!.id))!.memory!.limit, 128 * 1024 * 1024);
  assert.equal(n.runtime.calls.filter((x) => x.op === 'update').length, 0);
  // One that fits is applied by the new agent.
  n.setSpec({ requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } });
  await n.resync();
  assert.equal(n.cond('PodResizePending'), undefined);
  assert.equal((await n.runtime.containerResources(c!.id))!.memory!.limit, 256 * 1024 * 1024);
  n.syncer.probes.stop();
});

test('after an agent restart a container that is not running keeps the allocation it ran with: a resize asked for meanwhile is judged, the pod not rejected', async () => {
  const n = await node();
  const [c] = await n.containers();
  // It crashed while no agent ran; its spec was resized beyond the node meanwhile.
  n.runtime.exitContainer(c!.id, 1);
  await n.restart();
  n.setSpec({ requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '1', memory: '4Gi' } });
  await n.resync();
  const st = n.stored().status!;
  assert.equal(st.phase, 'Running', JSON.stringify(st));
  assert.equal(n.cond('PodResizePending')!.reason, 'Infeasible');
  // Started again with what it had (the upstream checkpoint's allocation), not the spec.
  const next = (await n.containers()).find((x) => x.state === 'running')!;
  assert.notEqual(next.id, c!.id);
  assert.equal((await n.runtime.containerResources(next.id))!.memory!.limit, 128 * 1024 * 1024);
  // No cgroup holds the memory request: the spec's, capped at the memory limit it ran with (not as upstream, whose checkpoint has 64Mi).
  assert.deepEqual(st.containerStatuses[0].resources, { requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '1', memory: '128Mi' } });
  n.syncer.probes.stop();
});

test('the allocation is checkpointed: after an agent restart an admitted resize stays the allocation, and a memory request raised meanwhile is judged against it (Deferred), as the kubelet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alloc-'));
  try {
    const n = await node(undefined, new AllocationCheckpoint(dir, quiet));
    const uid = n.stored().metadata.uid!;
    // A pod that takes most of the node's memory, then p's memory request raised in place (no cgroup records it).
    assert.equal((await n.add('big', { requests: { memory: '900Mi' } })).phase, 'Running');
    await n.resize({ requests: { cpu: '500m', memory: '100Mi' }, limits: { cpu: '1', memory: '128Mi' } });
    assert.equal(n.cond('PodResizePending'), undefined);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, `${uid}.json`), 'utf8')), { c: { requests: { cpu: '500m', memory: '100Mi' }, limits: { cpu: '1', memory: '128Mi' } } });
    // The agent restarts; meanwhile the memory request goes to 128Mi: 128Mi + 900Mi is more than the node's 1Gi.
    await n.restart();
    n.syncer.retainAllocations(() => true);
    n.setSpec({ requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '1', memory: '128Mi' } });
    await n.resync();
    assert.equal(n.cond('PodResizePending')?.reason, 'Deferred');
    assert.match(n.cond('PodResizePending')!.message!, /^Node didn't have enough resource: memory, requested: 134217728, used: 943718400, capacity: 1073741824$/);
    // The status reports the checkpointed allocation, not the spec.
    assert.deepEqual(n.stored().status!.containerStatuses[0].resources, { requests: { cpu: '500m', memory: '100Mi' }, limits: { cpu: '1', memory: '128Mi' } });
    // Room made: admitted, and checkpointed.
    n.dropOther();
    await n.resync();
    assert.equal(n.cond('PodResizePending'), undefined);
    assert.equal(n.stored().status!.containerStatuses[0].resources.requests.memory, '128Mi');
    assert.equal(JSON.parse(readFileSync(join(dir, `${uid}.json`), 'utf8')).c.requests.memory, '128Mi');
    // Gone with the pod; a pod gone while no agent ran goes at the next resync's retain.
    n.syncer.forget(uid);
    assert.equal(existsSync(join(dir, `${uid}.json`)), false);
    writeFileSync(join(dir, '0d2c7a1e-0000-4000-8000-000000000000.json'), '{}');
    n.syncer.retainAllocations((u) => u !== '0d2c7a1e-0000-4000-8000-000000000000');
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('0d2c7a1e')), []);
    n.syncer.probes.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the checkpoint reads back only what it wrote: malformed, oversized and misnamed files are skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alloc-'));
  try {
    const warned: string[] = [];
    const cp = new AllocationCheckpoint(join(dir, 'state'), { warn: (o) => warned.push((o as { file: string }).file) });
    assert.deepEqual(cp.load(), new Map(), 'no directory yet: nothing');
    cp.save('u-1', new Map([['c', { requests: { cpu: '1' } }]]));
    cp.save('u-1', new Map([['c', { requests: { cpu: '2' } }], ['s', {}]]));
    writeFileSync(join(dir, 'state', 'u-2.json'), '{"c":{"requests":{"cpu":1}}}');
    writeFileSync(join(dir, 'state', 'u-3.json'), '{"c":{"requests":{"cpu":"1"},"claims":[]}}');
    writeFileSync(join(dir, 'state', 'u-4.json'), `{"c":{"requests":{"x":"${'9'.repeat(300 * 1024)}"}}}`);
    writeFileSync(join(dir, 'state', '..evil.json'), '{}');
    assert.deepEqual(cp.load(), new Map([['u-1', new Map([['c', { requests: { cpu: '2' } }], ['s', {}]])]]));
    assert.deepEqual(warned.map((f) => f.split('/').pop()).sort(), ['u-2.json', 'u-3.json', 'u-4.json']);
    assert.deepEqual(readdirSync(join(dir, 'state')).filter((f) => f.endsWith('.tmp')), [], 'written by rename: no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
