/**
 * What one pod worker does for one pod (the kubelet's SyncPod / SyncTerminatingPod, cut down):
 * a sandbox, then the init containers one at a time in order, then every container; exited
 * containers restarted per restartPolicy with CrashLoopBackOff; the status written through
 * pods/status when it changed. Terminating: every container stopped with the grace period at
 * once, the sandbox stopped, the final status written, everything removed, then the pod deleted
 * with grace 0 and a UID precondition, as the kubelet's status manager does.
 *
 * Probes run in probes/probe-manager.ts: a changed result syncs the pod; a failed liveness or
 * startup probe kills the container here (then restarted per restartPolicy and backoff). postStart
 * runs right after a start (a failure kills the container: PostStartHookError), preStop before a
 * stop, inside the grace period.
 *
 * Volumes (volumes/volume-manager.ts) are set up before the sandbox and again on every sync, so
 * updates reach the files (FailedMount events for those that fail); each container gets its
 * mounts; they are torn down with the pod.
 */
import type { Container, Pod, Service } from 'kubernetes-types/core/v1.js';
import { jsonEqual } from '../../api/json-equal.ts';
import { isConflict, isNotFound } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';
import { CrashBackoff, goDuration } from './crash-backoff.ts';
import type { EventRecorder } from '../controllers/events.ts';
import { containerEnv, CreateContainerConfigError } from './env.ts';
import { ensureImage, ImageWaiting } from './image-pull.ts';
import { attemptsByName, computePodStatus, type PodView, type StatusInputs, type Waiting } from './pod-status.ts';
import { admitPod } from './pod-admission.ts';
import { runtimeClassRejection } from './runtime-class.ts';
import { VolumeSetUpError, type VolumeManager } from './volumes/volume-manager.ts';
import { RuntimeIndex } from './runtime-index.ts';
import { defaultStartConcurrency, StartGate } from './start-gate.ts';
import { tracePodStart } from './pod-start-trace.ts';
import { rfc3339 } from '../sim/node-template.ts';
import type { ContainerRuntime, ContainerStatus, ImageService, PodRef, SandboxStatus } from './runtime/types.ts';
import type { PodNetwork } from './network/routed.ts';
import { ProbeManager, type ContainerSnapshot } from './probes/probe-manager.ts';
import { newProbeRunner, type ProbeRunner } from './probes/run-probe.ts';
import { ContainerLifecycle } from './probes/container-lifecycle.ts';
import { podDesc } from './probes/lifecycle-hooks.ts';

export interface PodSyncDeps {
  runtime: ContainerRuntime;
  images: ImageService;
  /** Gives each pod off the host network its address (none: such pods get no IP). */
  network?: PodNetwork;
  /** Sets up the pods' volumes and gives containers their mounts (none: containers get no volumes). */
  volumes?: VolumeManager;
  /** Files for every container of a pod (/etc/resolv.conf for its dnsPolicy), written by the network. */
  podFiles?: (pod: Pod) => Promise<Record<string, string>>;
  client: ApiClient;
  hostIP: string;
  allocatable: Readonly<Record<string, string>>;
  /** The agent's Node (labels, taints) for admission; without it only resources are checked. */
  node?: () => K8sObject;
  /** The Node read from the API now: when only NodeAffinity failed, the kubelet looks again before rejecting. */
  fetchNode?: () => Promise<K8sObject>;
  /** containerID scheme (runc, fake). */
  scheme: string;
  now: () => number;
  /** The kubelet's events (Created, Started, Killing, BackOff, Pulled, Failed), best effort. */
  recorder?: EventRecorder;
  /** The Services the agent caches (for the Service environment variables). */
  services?: () => readonly Service[];
  /** The pods bound to the node as the agent last saw them (admission counts those it admitted). */
  pods(): readonly Pod[];
  /** Sync this pod again after `ms` (a backoff running out). */
  requeueAfter(uid: string, ms: number): void;
  /** Runtime creates and starts at once (default twice the CPUs, at least 8): a burst of pods starts in admission order (start-gate.ts). */
  startConcurrency?: number;
  /** The eviction manager's message for a pod it judged over a local-storage limit (eviction/local-storage-eviction.ts). */
  evictionVerdict?: (uid: string) => string | undefined;
  /** The eviction manager's node conditions (['DiskPressure'] under disk pressure): new pods are refused while any holds. */
  nodePressure?: () => readonly string[];
  /** The eviction manager's message for a pod it evicts to relieve node pressure (eviction/node-pressure-eviction.ts): killed as above, plus a DisruptionTarget condition. */
  pressureVerdict?: (uid: string) => string | undefined;
  /** Runs one probe (default: exec/httpGet/tcpSocket/grpc against the runtime and the pod IP). */
  runProbe?: ProbeRunner;
  log: { warn(o: object, m: string): void; info(o: object, m: string): void };
}

type Att = { latest: ContainerStatus; previous?: ContainerStatus };

const refOf = (pod: Pod): PodRef => ({ uid: pod.metadata?.uid ?? '', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' });
const isDone = (phase: unknown): boolean => phase === 'Succeeded' || phase === 'Failed';

/** The newest instance of each container, as the prober sees it. */
function snapshots(containers: readonly ContainerStatus[]): Map<string, ContainerSnapshot> {
  const out = new Map<string, ContainerSnapshot>();
  for (const [name, { latest }] of attemptsByName(containers)) {
    out.set(name, { id: latest.id, running: latest.state === 'running', ...(latest.startedAt ? { startedAt: Date.parse(latest.startedAt) } : {}) });
  }
  return out;
}

/** The grace period a deletion gets (calculateEffectiveGracePeriod). */
export function gracePeriodOf(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, g);
}

/** A pod start given up in the start gate: the pod was deleted while it waited. */
class StartAbandoned extends Error {
  constructor() {
    super('pod deleted while waiting to start: no sandbox or container created');
  }
}

/** Status without the transition times, so a recomputation against a stale copy is not a change. */
const comparable = (s: Record<string, unknown>) => ({ ...s, conditions: ((s.conditions ?? []) as Array<Record<string, unknown>>).map(({ lastTransitionTime: _t, ...c }) => c) });

type Cond = { type?: string; status?: string; lastTransitionTime?: string };

/** Each condition whose status is as last written keeps the transition time written then. */
function keepTransitionTimes(written: unknown, now: readonly Cond[]): Cond[] {
  const before = new Map(((Array.isArray(written) ? written : []) as Cond[]).map((c) => [c.type, c]));
  return now.map((c) => {
    const w = before.get(c.type);
    return w && w.status === c.status && w.lastTransitionTime ? { ...c, lastTransitionTime: w.lastTransitionTime } : c;
  });
}

export class PodSyncer {
  readonly backoff: CrashBackoff;
  readonly pullBackoff: CrashBackoff;
  /** The pod → sandboxes/containers map the relist fills (observe) and the workers keep. */
  readonly index: RuntimeIndex;
  /** Liveness, readiness and startup probes of the node's containers. */
  readonly probes: ProbeManager;
  /** postStart, preStop and the kills the agent decides. */
  readonly #life: ContainerLifecycle;
  #d: PodSyncDeps;
  /** Last status written per pod uid (bounded by the pods on the node; dropped with the pod). */
  #written = new Map<string, Record<string, unknown>>();
  /** Pods shutting down gracefully whose readiness still updates their status, with the writes in flight. */
  #terminating = new Map<string, { pod: Pod; writes: Promise<void> }>();
  /** Pods admitted to run here, with their admission order, the start gate's priority (at most allocatable pods; dropped with the pod). */
  #admitted = new Map<string, number>();
  #admissions = 0;
  readonly #gate: StartGate;

  constructor(d: PodSyncDeps) {
    this.#d = d;
    this.backoff = new CrashBackoff(d.now);
    this.pullBackoff = new CrashBackoff(d.now);
    this.index = new RuntimeIndex(d.runtime);
    this.#gate = new StartGate(d.startConcurrency ?? defaultStartConcurrency());
    this.probes = new ProbeManager({
      run: d.runProbe ?? newProbeRunner(d.runtime), now: d.now,
      event: (pod, c, reason, message) => this.#event(pod, c, 'Warning', reason, message),
      // A terminating pod's worker is busy stopping it: its readiness is written from here.
      changed: (uid) => (this.#terminating.has(uid) ? this.#statusWhileTerminating(uid) : d.requeueAfter(uid, 0)),
    });
    this.#life = new ContainerLifecycle({
      runtime: d.runtime, now: d.now, log: d.log, event: (pod, c, type, reason, message) => this.#event(pod, c, type, reason, message),
      hookIP: (pod) => (pod.spec?.hostNetwork ? d.hostIP : this.#podIPs(pod)?.[0]),
    });
  }

  /** An event about one of the pod's containers (involvedObject.fieldPath spec.containers{name}). */
  #event(pod: Pod, c: Container, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const field = (pod.spec?.initContainers ?? []).some((i) => i.name === c.name) ? 'initContainers' : 'containers';
    this.#d.recorder?.event(pod as K8sObject, resources.pods, type, reason, message, `spec.${field}{${c.name}}`);
  }

  async view(uid: string): Promise<PodView & { sandboxes: SandboxStatus[] }> {
    const own = await this.index.view(uid);
    const sandboxes = own.sandboxes.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const sandbox = sandboxes.find((s) => s.state === 'ready') ?? sandboxes[sandboxes.length - 1];
    return { sandbox, sandboxes, containers: own.containers };
  }

  /** Brings a live pod's containers to its spec and reports its status. */
  async sync(pod: Pod): Promise<void> {
    try {
      await this.#sync(pod);
    } catch (err) {
      // Deleted while it waited in the start gate: the worker's next sync (the deletion) terminates it.
      if (!(err instanceof StartAbandoned)) throw err;
      this.#d.log.info({ pod: podDesc(pod) }, err.message);
    }
  }

  async #sync(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    tracePodStart(uid, 'sync');
    if (isDone(pod.status?.phase)) {
      this.probes.forget(uid);
      await this.#stopAll(uid, 0, false);
      return;
    }
    const verdict = this.#d.evictionVerdict?.(uid);
    if (verdict) return this.#evict(pod, verdict);
    const pressure = this.#d.pressureVerdict?.(uid);
    if (pressure) return this.#evict(pod, pressure, true);
    let view = await this.view(uid);
    if (!this.#admitted.has(uid)) {
      // Already running here (an agent restart) counts as admitted; a new pod must fit.
      const known = view.sandboxes.length > 0 || view.containers.length > 0;
      const running = this.#d.pods().filter((p) => p.metadata?.uid !== uid && this.#admitted.has(p.metadata?.uid ?? '') && !isDone(p.status?.phase));
      let rejection = known ? undefined : admitPod(pod, running, this.#d.allocatable, this.#d.node?.(), this.#d.nodePressure?.());
      if (rejection?.reason === 'NodeAffinity' && this.#d.fetchNode) {
        const fresh = await this.#d.fetchNode().catch(() => undefined);
        if (fresh) rejection = admitPod(pod, running, this.#d.allocatable, fresh, this.#d.nodePressure?.());
      }
      if (!rejection && !known) rejection = await runtimeClassRejection(this.#d.client, pod);
      if (rejection) {
        this.#d.log.info({ pod: podDesc(pod), reason: rejection.reason }, 'pod rejected');
        this.#d.recorder?.event(pod as K8sObject, resources.pods, 'Warning', rejection.reason, rejection.message.replace(/^Pod was rejected: /, ''));
        await this.#writeStatus(pod, { phase: 'Failed', reason: rejection.reason, message: rejection.message, startTime: pod.status?.startTime ?? rfc3339(this.#d.now()) });
        return;
      }
      this.#admitted.set(uid, this.#admissions++);
    }
    if (this.#d.volumes && (await this.#setUpVolumes(pod, view))) return;
    const policy = pod.spec?.restartPolicy ?? 'Always';
    let sandbox = view.sandbox?.state === 'ready' ? view.sandbox : undefined;
    // A pod that never restarts anything does not get a second sandbox once it has run.
    if (!sandbox && !(policy === 'Never' && view.containers.length > 0)) {
      const podFiles = await this.#d.podFiles?.(pod);
      sandbox = await this.#gated(uid, 'sandbox', () => this.#d.runtime.createSandbox({ pod: refOf(pod), spec: pod.spec!, podFiles }));
      this.index.addSandbox(uid, sandbox.id);
    }
    const waiting = new Map<string, Waiting>();
    let podIPs: string[] | undefined;
    if (sandbox && !pod.spec?.hostNetwork && this.#d.network && sandbox.namespaces.net) {
      // The network comes before any container (PodReadyToStartContainers); idempotent per sync.
      podIPs = (await this.#d.network.setUp(refOf(pod), sandbox.namespaces.net)).ips;
    }
    if (sandbox) {
      const att = attemptsByName(view.containers);
      if (await this.#runInit(pod, sandbox, att, waiting)) {
        for (const c of pod.spec?.containers ?? []) await this.#runContainer(pod, sandbox, c, att.get(c.name), waiting, false);
      }
      view = await this.view(uid);
    }
    podIPs ??= this.#podIPs(pod);
    this.probes.update(pod, pod.spec?.hostNetwork ? this.#d.hostIP : podIPs?.[0], snapshots(view.containers));
    const status = computePodStatus(pod, { view, waiting, hostIP: this.#d.hostIP, now: this.#d.now(), scheme: this.#d.scheme, podIPs, probes: this.#verdict(uid) });
    if (isDone(status.phase)) this.probes.forget(uid);
    if (isDone(status.phase) && view.sandbox?.state === 'ready') await this.#d.runtime.stopSandbox(view.sandbox.id);
    await this.#writeStatus(pod, status);
  }

  /**
   * WaitForAttachAndMount, on every sync so that updates reach the files: each volume that fails is
   * a FailedMount event. A pod not started yet stays Pending (ContainerCreating) and the sync fails,
   * retried with the worker's backoff (a change to a configMap or secret it names syncs it at once);
   * a running pod keeps running with the files it has, as upstream. True when the pod was evicted
   * instead: an emptyDir on disk over its sizeLimit (the kubelet's eviction manager), its
   * containers killed and the pod Failed with reason Evicted.
   */
  async #setUpVolumes(pod: Pod, view: PodView & { sandboxes: SandboxStatus[] }): Promise<boolean> {
    try {
      await this.#d.volumes!.setUp(pod);
    } catch (err) {
      if (!(err instanceof VolumeSetUpError)) throw err;
      for (const f of err.failures) this.#d.recorder?.event(pod as K8sObject, resources.pods, 'Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${f.volume}" : ${f.message}`);
      if (view.sandbox?.state === 'ready') return false;
      await this.#writeStatus(pod, computePodStatus(pod, { view, waiting: new Map(), hostIP: this.#d.hostIP, now: this.#d.now(), scheme: this.#d.scheme }));
      throw err;
    }
    const evict = await this.#d.volumes!.evictionReason(pod);
    if (!evict) return false;
    await this.#evict(pod, evict);
    return true;
  }

  /**
   * The eviction manager's evictPod for a local-storage limit: an Evicted event, the containers
   * killed with the 1 s override (immediateEvictionGracePeriodSeconds, raised to killContainer's
   * 2 s minimum), then phase Failed, reason Evicted and the message. No DisruptionTarget condition
   * for a local-storage eviction (upstream passes none); a node-pressure one (`nodePressure`) gets
   * TerminationByKubelet.
   */
  async #evict(pod: Pod, message: string, nodePressure = false): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const again = this.#written.get(uid)?.reason === 'Evicted';
    if (!again) {
      this.#d.log.info({ pod: podDesc(pod), reason: message }, 'evicting pod');
      this.#d.recorder?.event(pod as K8sObject, resources.pods, 'Warning', 'Evicted', message);
    }
    this.probes.forget(uid);
    await this.#announceKilling(pod);
    const stopped = await this.#stopAll(uid, 2, false, pod);
    const status = computePodStatus(pod, { view: stopped, waiting: new Map(), hostIP: this.#d.hostIP, now: this.#d.now(), scheme: this.#d.scheme, terminal: true, podIPs: this.#podIPs(pod) });
    // Node-pressure evictions say so in a DisruptionTarget condition (TerminationByKubelet), as evictPod's condition.
    const conditions = nodePressure
      ? [...((status.conditions ?? []) as Array<Record<string, unknown>>).filter((c) => c.type !== 'DisruptionTarget'), { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(this.#d.now()), reason: 'TerminationByKubelet', message }]
      : status.conditions;
    await this.#writeStatus(pod, { ...status, phase: 'Failed', reason: 'Evicted', message, conditions });
  }

  /** True once every init container has completed (or, a sidecar, started). */
  async #runInit(pod: Pod, sandbox: SandboxStatus, att: Map<string, Att>, waiting: Map<string, Waiting>): Promise<boolean> {
    for (const c of pod.spec?.initContainers ?? []) {
      const a = att.get(c.name);
      const sidecar = c.restartPolicy === 'Always';
      if (!a || a.latest.state === 'exited' || a.latest.state === 'unknown') {
        if (a && !sidecar && a.latest.exitCode === 0) continue;
        if (a && !sidecar && (pod.spec?.restartPolicy ?? 'Always') === 'Never') return false;
        await this.#runContainer(pod, sandbox, c, a, waiting, true);
        if (!sidecar) return false;
        continue;
      }
      if (a.latest.state === 'created') await this.#start(pod, c, a.latest.id, waiting);
      // A running sidecar is probed like any container: killed and restarted when its liveness probe fails.
      else if (sidecar && a.latest.state === 'running') {
        await this.#runContainer(pod, sandbox, c, a, waiting, true);
        // The next init container waits until the sidecar's startup probe has succeeded.
        if (c.startupProbe && !this.probes.startupSucceeded(a.latest.id)) return false;
      }
      if (!sidecar) return false;
    }
    return true;
  }

  /** Starts a container that has no instance, or restarts an exited one when the policy and the backoff allow. */
  async #runContainer(pod: Pod, sandbox: SandboxStatus, c: Container, a: Att | undefined, waiting: Map<string, Waiting>, isInit: boolean): Promise<void> {
    let latest = a?.latest;
    const policy = isInit ? (c.restartPolicy === 'Always' ? 'Always' : 'OnFailure') : (pod.spec?.restartPolicy ?? 'Always');
    if (latest?.state === 'running') {
      // computePodActions: a container failing its liveness or startup probe is killed, then restarted per policy.
      const failed = this.probes.failed(latest.id);
      if (!failed) return;
      const probeGrace = this.probes.probeOf(pod.metadata?.uid ?? '', c.name, failed)?.terminationGracePeriodSeconds;
      await this.#life.kill(pod, c, latest.id, `Container ${c.name} failed ${failed} probe${policy === 'Never' ? '' : ', will be restarted'}`, probeGrace ?? gracePeriodOf(pod));
      latest = await this.#d.runtime.containerStatus(latest.id);
      if (!latest || latest.state === 'running') return;
      a = { latest, previous: a?.previous };
    }
    if (latest?.state === 'created') return this.#start(pod, c, latest.id, waiting);
    if (latest) {
      const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0);
      if (!restart) return;
      const key = `${pod.metadata?.uid}/${c.name}`;
      const exitedAt = latest.finishedAt ? Date.parse(latest.finishedAt) : this.#d.now();
      if (this.backoff.inBackoffSince(key, exitedAt)) {
        const delay = this.backoff.get(key);
        waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(delay)} restarting failed container=${c.name} pod=${podDesc(pod)}` });
        this.#event(pod, c, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podDesc(pod)}`);
        this.#d.requeueAfter(pod.metadata?.uid ?? '', Math.max(0, exitedAt + delay - this.#d.now()) + 50);
        return;
      }
      this.backoff.next(key, exitedAt);
      // Only the previous instance is kept (for lastState); older ones go.
      if (a?.previous) {
        await this.#d.runtime.removeContainer(a.previous.id);
        this.index.drop(a.previous.pod.uid, a.previous.id);
      }
    }
    const attempt = latest ? latest.attempt + 1 : 0;
    let created: ContainerStatus;
    try {
      tracePodStart(pod.metadata?.uid ?? '', 'image');
      const image = await ensureImage(this.#d.images, this.#d.client, this.pullBackoff, this.#d.now, pod, c, (type, reason, message) => this.#event(pod, c, type, reason, message));
      tracePodStart(pod.metadata?.uid ?? '', 'env');
      const env = await containerEnv({ client: this.#d.client, allocatable: this.#d.allocatable, services: this.#d.services }, pod, c, this.#d.hostIP);
      const mounts = (await this.#d.volumes?.mountsFor(pod, c, env)) ?? [];
      created = await this.#gated(pod.metadata?.uid ?? '', 'create', () => this.#d.runtime.createContainer(sandbox.id, { pod: refOf(pod), podSpec: pod.spec!, container: c, attempt, image, env, mounts }));
      this.index.addContainer(created.pod.uid, created.id);
    } catch (err) {
      if (err instanceof StartAbandoned) throw err;
      if (err instanceof ImageWaiting) waiting.set(c.name, err.waiting);
      else {
        const reason = err instanceof CreateContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        waiting.set(c.name, { reason, message: (err as Error).message });
        this.#event(pod, c, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      }
      // Tried again with the pod's next sync (a backoff of its own for pulls).
      this.#d.requeueAfter(pod.metadata?.uid ?? '', 5_000);
      return;
    }
    this.#event(pod, c, 'Normal', 'Created', `Created container: ${c.name}`);
    await this.#start(pod, c, created.id, waiting);
  }

  async #start(pod: Pod, c: Container, id: string, waiting: Map<string, Waiting>): Promise<void> {
    try {
      await this.#gated(pod.metadata?.uid ?? '', 'start', () => this.#d.runtime.startContainer(id));
      this.#event(pod, c, 'Normal', 'Started', `Started container ${c.name}`);
      const failed = await this.#life.postStart(pod, c, id, gracePeriodOf(pod));
      if (failed) waiting.set(c.name, { reason: 'PostStartHookError', message: failed });
    } catch (err) {
      if (err instanceof StartAbandoned) throw err;
      waiting.set(c.name, { reason: 'RunContainerError', message: (err as Error).message });
      this.#event(pod, c, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
      this.#d.log.warn({ pod: podDesc(pod), container: c.name, err: (err as Error).message }, 'container failed to start');
      await this.#d.runtime.stopContainer(id, 0).catch(() => {});
    }
  }

  /**
   * A runtime create or start through the start gate, at the pod's admission order. The pod is
   * looked up again when its turn comes: one deleted meanwhile (gone from the informer, or with a
   * deletionTimestamp) gets no sandbox or container to tear down again, as the kubelet cancels a
   * pod's sync once its termination is requested.
   */
  async #gated<T>(uid: string, what: string, fn: () => Promise<T>): Promise<T> {
    tracePodStart(uid, `${what}:wait`);
    const out = await this.#gate.run(this.#admitted.get(uid) ?? this.#admissions, () => {
      const now = this.#d.pods().find((p) => p.metadata?.uid === uid);
      if (!now || now.metadata?.deletionTimestamp) throw new StartAbandoned();
      tracePodStart(uid, `${what}:run`);
      return fn();
    });
    tracePodStart(uid, `${what}:done`);
    return out;
  }

  /** The prober's started/ready for the status. */
  #verdict(uid: string): StatusInputs['probes'] {
    return { started: (name, id) => this.probes.started(uid, name, id), ready: (name, id) => this.probes.ready(uid, name, id) };
  }

  /** A readiness change while the pod terminates: its status written now (Ready, so EndpointSlices' serving follows), in order. */
  #statusWhileTerminating(uid: string): void {
    const t = this.#terminating.get(uid)!;
    t.writes = t.writes
      .then(async () => {
        if (this.#terminating.get(uid) !== t) return;
        const view = await this.view(uid);
        await this.#writeStatus(t.pod, computePodStatus(t.pod, { view, waiting: new Map(), hostIP: this.#d.hostIP, now: this.#d.now(), scheme: this.#d.scheme, podIPs: this.#podIPs(t.pod), probes: this.#verdict(uid) }));
      })
      .catch((err: Error) => this.#d.log.warn({ pod: podDesc(t.pod), err: err.message }, 'status of a terminating pod not written'));
  }

  #podIPs(pod: Pod): string[] | undefined {
    const ip = this.#d.network?.addressOf(pod.metadata?.uid ?? '');
    return ip ? [ip] : undefined;
  }

  async #writeStatus(pod: Pod, status: Record<string, unknown>): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const prev = this.#written.get(uid);
    // The start time never changes once written (the kubelet's status manager keeps its cached
    // one). The informer's pod can be older than our last write: a start time taken from it
    // would alternate with each write's own echo, a status write per sync for as long as the
    // writes stay a watch event behind (seen in a 50-pod burst: up to 50 writes for one pod).
    if (prev?.startTime !== undefined && status.startTime !== undefined) status = { ...status, startTime: prev.startTime };
    // Likewise a condition's transition time: kept from the last write while its status is the same
    // (the status manager's updateLastTransitionTime against its cache, not the informer's copy).
    if (prev && Array.isArray(status.conditions)) status = { ...status, conditions: keepTransitionTimes(prev.conditions, status.conditions) };
    if (prev && jsonEqual(comparable(prev), comparable(status))) return;
    // metadata.uid in the patch is a precondition: a pod recreated under the same name is not ours.
    tracePodStart(uid, `status:${String(status.phase)}`);
    await this.#d.client.patch<K8sObject>(resources.pods, pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', 'merge', { metadata: { uid }, status }, 'status');
    tracePodStart(uid, `written:${String(status.phase)}`);
    this.#written.set(uid, status);
  }

  /** A Killing event for each running container of the pod, as killContainer records before it stops one. */
  async #announceKilling(pod: Pod): Promise<void> {
    const running = new Set((await this.view(pod.metadata?.uid ?? '')).containers.filter((c) => c.state === 'running').map((c) => c.name));
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      if (running.has(c.name)) this.#event(pod, c, 'Normal', 'Killing', `Stopping container ${c.name}`);
    }
  }

  /** Stops every container of the pod (with `pod`, each running one's preStop hook first). */
  async #stopAll(uid: string, grace: number, remove: boolean, pod?: Pod): Promise<PodView> {
    let view = await this.view(uid);
    const specOf = (name: string) => [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].find((s) => s.name === name);
    await Promise.all(view.containers.filter((c) => c.state === 'running' || c.state === 'created').map((c) => (pod && c.state === 'running' ? this.#life.stop(pod, specOf(c.name), c.id, grace) : this.#d.runtime.stopContainer(c.id, grace))));
    for (const s of view.sandboxes) if (s.state === 'ready') await this.#d.runtime.stopSandbox(s.id);
    view = await this.view(uid);
    if (remove) {
      for (const c of view.containers) {
        await this.#d.runtime.removeContainer(c.id);
        this.index.drop(uid, c.id);
      }
      for (const s of view.sandboxes) {
        await this.#d.runtime.removeSandbox(s.id);
        this.index.drop(uid, s.id);
      }
    }
    return view;
  }

  /**
   * Shuts a pod down for good: `pod` is the last known object. With `deleteFromApi` (the pod is
   * being deleted), the final status is written and the pod deleted with grace 0 once its
   * containers are gone; otherwise (the pod is already gone from the API) only the runtime state.
   */
  async terminate(pod: Pod, deleteFromApi: boolean, graceOverride?: number): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const grace = graceOverride ?? gracePeriodOf(pod);
    // Readiness keeps being probed and reported while the containers stop, as upstream.
    const term = deleteFromApi && !isDone(pod.status?.phase) ? { pod, writes: Promise.resolve() } : undefined;
    if (term) {
      this.#terminating.set(uid, term);
      this.probes.terminating(uid);
    } else this.probes.forget(uid);
    await this.#announceKilling(pod);
    let stopped: PodView;
    try {
      stopped = await this.#stopAll(uid, grace, false, pod);
    } finally {
      if (term) {
        this.#terminating.delete(uid);
        await term.writes;
      }
      this.probes.forget(uid);
    }
    // A pod already terminal in the API (finished, or rejected) keeps the status it has.
    if (deleteFromApi && !isDone(pod.status?.phase)) {
      const status = computePodStatus(pod, { view: stopped, waiting: new Map(), hostIP: this.#d.hostIP, now: this.#d.now(), scheme: this.#d.scheme, terminal: true, podIPs: this.#podIPs(pod) });
      try {
        await this.#writeStatus(pod, status);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    await this.#stopAll(uid, 0, true);
    await this.#d.volumes?.tearDown(uid);
    await this.#d.network?.tearDown(refOf(pod));
    this.forget(uid);
    if (!deleteFromApi) return;
    try {
      await this.#d.client.delete(resources.pods, pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      // Gone already, or a different pod now holds the name: nothing of ours to delete.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  forget(uid: string): void {
    this.probes.forget(uid);
    this.#terminating.delete(uid);
    this.#written.delete(uid);
    this.#admitted.delete(uid);
    this.backoff.forget(`${uid}/`);
    this.pullBackoff.forget(`${uid}/`);
  }
}
