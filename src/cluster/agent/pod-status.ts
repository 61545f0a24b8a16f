/**
 * A pod's status as the kubelet reports it (kubelet_pods.go generateAPIPodStatus, getPhase,
 * convertToAPIContainerStatuses; status/generate.go for the conditions), computed from what the
 * runtime holds for the pod and what the agent decided (a container waiting out CrashLoopBackOff,
 * a configuration error). Pure: same inputs, same status.
 *
 * Readiness: a running container is started and ready as the prober says (probes/probe-manager.ts;
 * without probes, as soon as it runs); Ready also waits for the pod's readiness gates.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { K8sObject } from '../client/types.ts';
import { conditions } from '../sim/pod-status.ts';
import { rfc3339 } from '../sim/node-template.ts';
import type { ContainerStatus, SandboxStatus } from './runtime/types.ts';

export interface Waiting {
  reason: string;
  message?: string;
}

export interface PodView {
  /** The pod's current sandbox (ready, or the last one). */
  sandbox?: SandboxStatus;
  /** Every container the runtime holds for the pod (all attempts). */
  containers: readonly ContainerStatus[];
}

export interface StatusInputs {
  view: PodView;
  /** Per container name: why it is waiting, when the agent knows better than "not created yet". */
  waiting: ReadonlyMap<string, Waiting>;
  hostIP: string;
  now: number;
  /** containerID scheme: runc://, fake://. */
  scheme: string;
  /** The pod is being shut down for good (deleted, or finished): no container restarts. */
  terminal?: boolean;
  /** The pod's addresses from the network plugin (none: the pod has no IP yet). */
  podIPs?: readonly string[];
  /** The prober's verdict on a running container (absent: started and ready once running). */
  probes?: { started(name: string, containerId: string): boolean; ready(name: string, containerId: string): boolean };
}

type ApiState = Record<string, Record<string, unknown>>;
type ApiContainerStatus = { name: string; state: ApiState; lastState: ApiState; ready: boolean; restartCount: number; started?: boolean; [k: string]: unknown };

const time = (iso: string | undefined, now: number): string => rfc3339(iso ? Date.parse(iso) : now);

/** `<repository>@<digest>`, as containerStatuses[].imageID. */
export function imageIdOf(ref: string, digest: string): string {
  if (!digest) return '';
  const at = ref.indexOf('@');
  let repo = at >= 0 ? ref.slice(0, at) : ref;
  const colon = repo.lastIndexOf(':');
  if (colon > repo.lastIndexOf('/')) repo = repo.slice(0, colon);
  return `${repo}@${digest}`;
}

function terminated(c: ContainerStatus, scheme: string, now: number): ApiState {
  const t: Record<string, unknown> = { exitCode: c.exitCode ?? 0, reason: c.reason ?? (c.exitCode ? 'Error' : 'Completed') };
  if (c.message) t.message = c.message;
  t.startedAt = c.startedAt ? time(c.startedAt, now) : null;
  t.finishedAt = time(c.finishedAt, now);
  t.containerID = `${scheme}://${c.id}`;
  return { terminated: t };
}

/** The newest attempt of each container name, and the one before it. */
export function attemptsByName(containers: readonly ContainerStatus[]): Map<string, { latest: ContainerStatus; previous?: ContainerStatus }> {
  const out = new Map<string, { latest: ContainerStatus; previous?: ContainerStatus }>();
  const sorted = [...containers].sort((a, b) => a.attempt - b.attempt || a.createdAt.localeCompare(b.createdAt));
  for (const c of sorted) {
    const cur = out.get(c.name);
    out.set(c.name, { latest: c, previous: cur?.latest });
  }
  return out;
}

function containerStatus(spec: Container, att: ReturnType<typeof attemptsByName> extends Map<string, infer V> ? V | undefined : never, waiting: Waiting | undefined, defaultWaiting: string, isInit: boolean, inp: StatusInputs): ApiContainerStatus {
  const { scheme, now } = inp;
  const latest = att?.latest;
  const out: ApiContainerStatus = { name: spec.name, state: {}, lastState: {}, ready: false, restartCount: latest?.attempt ?? 0, image: spec.image ?? '', imageID: latest ? imageIdOf(latest.imageRef, latest.imageDigest) : '' };
  if (latest) out.containerID = `${scheme}://${latest.id}`;
  const sidecar = isInit && spec.restartPolicy === 'Always';
  if (!latest) {
    out.state = { waiting: { reason: waiting?.reason ?? defaultWaiting, ...(waiting?.message ? { message: waiting.message } : {}) } };
  } else if (latest.state === 'running') {
    out.state = { running: { startedAt: time(latest.startedAt, now) } };
    if (att?.previous) out.lastState = terminated(att.previous, scheme, now);
    out.started = inp.probes ? inp.probes.started(spec.name, latest.id) : true;
    out.ready = (!isInit || sidecar) && out.started && (inp.probes ? inp.probes.ready(spec.name, latest.id) : true);
  } else if (latest.state === 'exited' && waiting) {
    // Waiting to be started again (CrashLoopBackOff) or unable to be (a configuration error).
    out.state = { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } };
    out.lastState = terminated(latest, scheme, now);
  } else if (latest.state === 'exited' || latest.state === 'unknown') {
    out.state = terminated(latest, scheme, now);
    if (att?.previous) out.lastState = terminated(att.previous, scheme, now);
    out.ready = isInit && !sidecar && latest.exitCode === 0;
  } else {
    out.state = { waiting: { reason: 'ContainerCreating' } };
  }
  if (!isInit || sidecar) out.started ??= false;
  return out;
}

const isRunning = (s: ApiContainerStatus) => !!s.state.running;
const isTerminated = (s: ApiContainerStatus) => !!s.state.terminated;
const exitCode = (st: ApiState | undefined): number | undefined => (st?.terminated ? (st.terminated.exitCode as number) : undefined);

/** getPhase. */
export function podPhase(pod: Pod, init: readonly ApiContainerStatus[], regular: readonly ApiContainerStatus[], terminal: boolean): string {
  let pendingInit = 0;
  let failedInit = 0;
  (pod.spec?.initContainers ?? []).forEach((c, i) => {
    const s = init[i];
    if (c.restartPolicy === 'Always') {
      if (!s || !s.started) pendingInit++;
      return;
    }
    if (!s || isRunning(s)) pendingInit++;
    else if (isTerminated(s)) failedInit += exitCode(s.state) !== 0 ? 1 : 0;
    else if (s.lastState.terminated) failedInit += exitCode(s.lastState) !== 0 ? 1 : 0;
    else pendingInit++;
  });
  let running = 0, waiting = 0, stopped = 0, succeeded = 0, unknown = 0;
  for (const s of regular) {
    if (isRunning(s)) running++;
    else if (isTerminated(s)) {
      stopped++;
      if (exitCode(s.state) === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  const anyRegularStarted = regular.some((s) => isRunning(s) || isTerminated(s) || !!s.lastState.terminated);
  if ((pendingInit > 0 && !anyRegularStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** GeneratePodReadyCondition's readiness gates, once every container is ready. */
function readinessGates(pod: Pod): readonly ['True'] | readonly ['False', string, string] {
  const have = (pod.status?.conditions ?? []) as Array<{ type: string; status?: string }>;
  const msgs: string[] = [];
  for (const g of pod.spec?.readinessGates ?? []) {
    const c = have.find((x) => x.type === g.conditionType);
    if (!c) msgs.push(`corresponding condition of pod readiness gate ${JSON.stringify(g.conditionType)} does not exist.`);
    else if (c.status !== 'True') msgs.push(`the status of pod readiness gate ${JSON.stringify(g.conditionType)} is not "True", but ${c.status}`);
  }
  return msgs.length ? ['False', 'ReadinessGatesNotReady', msgs.join(', ')] : ['True'];
}

/** The status fields the agent owns; PodScheduled and qosClass stay as they are. */
export function computePodStatus(pod: Pod, inp: StatusInputs): Record<string, unknown> {
  const now = rfc3339(inp.now);
  const att = attemptsByName(inp.view.containers);
  const initSpecs = pod.spec?.initContainers ?? [];
  const hasInit = initSpecs.length > 0;
  const def = hasInit ? 'PodInitializing' : 'ContainerCreating';
  const init = initSpecs.map((c) => containerStatus(c, att.get(c.name), inp.waiting.get(c.name), def, true, inp));
  const regular = (pod.spec?.containers ?? []).map((c) => containerStatus(c, att.get(c.name), inp.waiting.get(c.name), def, false, inp));
  let phase = podPhase(pod, init, regular, inp.terminal ?? false);
  // A pod shut down for good ends in a terminal phase, also if it never got to run.
  if (inp.terminal && phase !== 'Succeeded' && phase !== 'Failed') phase = 'Failed';
  const done = phase === 'Succeeded' || phase === 'Failed';
  const sandboxReady = inp.view.sandbox?.state === 'ready' && !done;
  const uninitialized = initSpecs.filter((c, i) => (c.restartPolicy === 'Always' ? !init[i]!.started : !init[i]!.ready)).map((c) => c.name);
  const unready = regular.filter((s) => !s.ready).map((s) => s.name);
  const old = (pod as K8sObject).status ?? {};
  const want: Array<readonly [string, 'True' | 'False', string?, string?]> = [['PodReadyToStartContainers', sandboxReady ? 'True' : 'False']];
  if (done) {
    want.push(['Initialized', 'True', 'PodCompleted'], ['Ready', 'False', 'PodCompleted'], ['ContainersReady', 'False', 'PodCompleted']);
  } else {
    want.push(uninitialized.length ? ['Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: [${uninitialized.join(' ')}]`] : ['Initialized', 'True']);
    const notReady = unready.length ? (['False', 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`] as const) : (['True'] as const);
    want.push(['Ready', ...(unready.length ? notReady : readinessGates(pod))], ['ContainersReady', ...notReady]);
  }
  // As generateAPIPodStatus: PodScheduled is True on the node, also for a pod bound by nodeName.
  want.push(['PodScheduled', 'True']);
  // Conditions others own (readiness gates, DisruptionTarget) stay: the patch replaces the list.
  const owned = new Set(want.map(([t]) => t));
  const conds = [...conditions(pod as K8sObject, want, now), ...((old.conditions ?? []) as Array<{ type: string }>).filter((c) => !owned.has(c.type))];
  const ips = pod.spec?.hostNetwork ? [inp.hostIP] : (inp.podIPs ?? []);
  const podIP = ips[0];
  const status: Record<string, unknown> = {
    phase,
    conditions: conds,
    hostIP: inp.hostIP,
    hostIPs: [{ ip: inp.hostIP }],
    ...(podIP ? { podIP, podIPs: ips.map((ip) => ({ ip })) } : {}),
    startTime: old.startTime ?? now,
    containerStatuses: regular,
  };
  if (hasInit) status.initContainerStatuses = init;
  // Ephemeral containers, converted as the kubelet does (as init containers): never ready, never restarted, no started.
  if (pod.spec?.ephemeralContainers?.length) {
    status.ephemeralContainerStatuses = pod.spec.ephemeralContainers.map((c) => {
      const { started: _started, ...s } = containerStatus(c as Container, att.get(c.name), inp.waiting.get(c.name), def, true, inp);
      return { ...s, ready: false };
    });
  }
  return status;
}
