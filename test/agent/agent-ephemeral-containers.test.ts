/**
 * Ephemeral containers on the fake runtime, through a real API server: one added through
 * pods/ephemeralcontainers is started in the pod's sandbox and reported in
 * status.ephemeralContainerStatuses with upstream's fields (never ready, restartCount 0, no
 * started); it is never restarted once it exits, and the pod's phase and readiness ignore it. One
 * targeting a container that does not run waits with CreateContainerConfigError, as the kubelet's
 * getTargetID; one without a target starts even while init containers have not completed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import type { ContainerConfig } from '../../src/cluster/agent/runtime/types.ts';
import type { FakeProgram, FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';

/** exit0 ends after 100 ms with 0; anything else runs until stopped. */
const program = (cfg: ContainerConfig): FakeProgram => (cfg.container.command?.[0] === 'exit0' ? { exitAfterMs: 100, exitCode: 0 } : {});

let ac: AgentCluster;
let runtime: FakeRuntime;
before(async () => {
  ac = await startAgentCluster();
  ({ runtime } = await ac.start('node-e', { fake: { program } }));
});
after(() => ac.close());

const getPod = (name: string) => ac.admin.get<K8sObject>(resources.pods, 'default', name);
const mkPod = (name: string, spec: Record<string, unknown>) => ac.admin.create<K8sObject>(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'node-e', ...spec } });
const addEphemeral = (pod: string, ec: Record<string, unknown>) => ac.admin.patch<K8sObject>(resources.pods, 'default', pod, 'strategic', { spec: { ephemeralContainers: [{ image: 'example.test/debug:1', ...ec }] } }, 'ephemeralcontainers');
const eph = (p: K8sObject, name: string) => (p.status?.ephemeralContainerStatuses ?? []).find((s: { name: string }) => s.name === name);

test('an ephemeral container is started once, reported with upstream fields, never restarted, ignored by phase and readiness', async () => {
  await mkPod('target', { containers: [{ name: 'app', image: 'example.test/web:1' }] });
  await eventually(async () => (await getPod('target')).status?.containerStatuses?.[0]?.ready, 'the pod is ready');
  await addEphemeral('target', { name: 'dbg', command: ['exit0'], targetContainerName: 'app', stdin: true, tty: true });
  const running = await eventually(async () => {
    const p = await getPod('target');
    const s = eph(p, 'dbg');
    return (s?.state?.running || s?.state?.terminated) && p;
  }, 'the ephemeral container ran');
  const s = eph(running, 'dbg');
  assert.deepEqual(Object.keys(s), ['name', 'state', 'lastState', 'ready', 'restartCount', 'image', 'imageID', 'containerID']);
  assert.equal(s.ready, false);
  assert.equal(s.restartCount, 0);
  assert.equal(s.image, 'example.test/debug:1');
  assert.match(s.imageID, /^example\.test\/debug@sha256:[0-9a-f]{64}$/);
  assert.match(s.containerID, /^fake:\/\/[0-9a-f]{64}$/);
  const id = s.containerID.slice('fake://'.length);
  // The sandbox is the pod's: the same one as its container's.
  const all = await runtime.list();
  const app = all.containers.find((c) => c.pod.name === 'target' && c.name === 'app')!;
  assert.equal(all.containers.find((c) => c.id === id)?.sandboxId, app.sandboxId);
  const done = await eventually(async () => {
    const p = await getPod('target');
    return eph(p, 'dbg')?.state?.terminated && p;
  }, 'the ephemeral container exited');
  assert.equal(eph(done, 'dbg').state.terminated.exitCode, 0);
  assert.equal(eph(done, 'dbg').state.terminated.reason, 'Completed');
  assert.equal(done.status.phase, 'Running');
  assert.equal((done.status.conditions ?? []).find((c: { type: string }) => c.type === 'Ready')?.status, 'True');
  // Later syncs (a label change) never start it again.
  await ac.admin.patch(resources.pods, 'default', 'target', 'merge', { metadata: { labels: { touched: 'yes' } } });
  await eventually(async () => (await getPod('target')).metadata.labels?.touched === 'yes', 'the label is there');
  await new Promise((r) => setTimeout(r, 500));
  const creates = (await runtime.list()).containers.filter((c) => c.pod.name === 'target' && c.name === 'dbg');
  assert.equal(creates.length, 1);
  assert.deepEqual(eph(await getPod('target'), 'dbg').state.terminated.exitCode, 0);
});

test('a target that does not run: CreateContainerConfigError; an untargeted one starts before init completes', async () => {
  await mkPod('initing', { initContainers: [{ name: 'init', image: 'example.test/init:1' }], containers: [{ name: 'app', image: 'example.test/web:1' }] });
  await eventually(async () => (await getPod('initing')).status?.initContainerStatuses?.[0]?.state?.running, 'the init container runs');
  await addEphemeral('initing', { name: 'dbg', targetContainerName: 'app' });
  await addEphemeral('initing', { name: 'free' });
  const p = await eventually(async () => {
    const x = await getPod('initing');
    return eph(x, 'free')?.state?.running && eph(x, 'dbg')?.state?.waiting && x;
  }, 'the untargeted one runs, the targeted one waits');
  assert.deepEqual(eph(p, 'dbg').state.waiting, { reason: 'CreateContainerConfigError', message: 'unable to find target container app' });
  assert.equal(p.status.phase, 'Pending');
  // Targeting the running init container works.
  await addEphemeral('initing', { name: 'dbg-init', targetContainerName: 'init' });
  await eventually(async () => eph(await getPod('initing'), 'dbg-init')?.state?.running, 'the one targeting the init container runs');
});

test('an ephemeral container asking for an AppArmor profile is not run unconfined: CreateContainerError', async () => {
  await mkPod('aa', { containers: [{ name: 'app', image: 'example.test/web:1' }] });
  await eventually(async () => (await getPod('aa')).status?.containerStatuses?.[0]?.state?.running, 'the pod runs');
  await addEphemeral('aa', { name: 'confined', securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } });
  await addEphemeral('aa', { name: 'unconfined', securityContext: { appArmorProfile: { type: 'Unconfined' } } });
  const p = await eventually(async () => {
    const x = await getPod('aa');
    return eph(x, 'unconfined')?.state?.running && eph(x, 'confined')?.state?.waiting && x;
  }, 'the unconfined one runs, the confined one waits');
  assert.deepEqual(eph(p, 'confined').state.waiting, { reason: 'CreateContainerError', message: 'failed to generate apparmor spec opts: apparmor is not supported' });
  assert.deepEqual((await runtime.list()).containers.filter((c) => c.pod.name === 'aa').map((c) => c.name).sort(), ['app', 'unconfined']);
});
