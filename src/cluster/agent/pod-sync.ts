/**
 * What one pod worker does for one pod (the kubelet's SyncPod / SyncTerminatingPod, cut down):
 * admission (pod-admitter.ts), volumes, a sandbox and its network, then the containers
 * (container-runner.ts: init containers in order, then every container, restarts with
 * CrashLoopBackOff), then the status written through pods/status when it changed
 * (pod-status-writer.ts). Evictions and termination are in pod-teardown.ts; what the parts share is
 * in pod-sync-deps.ts.
 *
 * Probes run in probes/probe-manager.ts: a changed result syncs the pod; a failed liveness or
 * startup probe kills the container (then restarted per restartPolicy and backoff). postStart
 * runs right after a start, preStop before a stop, inside the grace period.
 *
 * Volumes (volumes/volume-manager.ts) are set up before the sandbox and again on every sync, so
 * updates reach the files (FailedMount events for those that fail); each container gets its
 * mounts; they are torn down with the pod.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import type { CrashBackoff } from './crash-backoff.ts';
import { attemptsByName, computePodStatus, type Waiting } from './pod-status.ts';
import { VolumeSetUpError } from './volumes/volume-manager.ts';
import { RuntimeIndex } from './runtime-index.ts';
import { tracePodStart } from './pod-start-trace.ts';
import type { ContainerStatus, SandboxStatus } from './runtime/types.ts';
import { ProbeManager, type ContainerSnapshot } from './probes/probe-manager.ts';
import { newProbeRunner } from './probes/run-probe.ts';
import { ContainerLifecycle } from './probes/container-lifecycle.ts';
import { podDesc } from './probes/lifecycle-hooks.ts';
import { isDone, refOf, StartAbandoned, type PodSyncDeps, type SyncContext, type SyncView } from './pod-sync-deps.ts';
import { PodStatusWriter } from './pod-status-writer.ts';
import { PodAdmitter } from './pod-admitter.ts';
import { ContainerRunner } from './container-runner.ts';
import { PodTeardown } from './pod-teardown.ts';
import { PodResizer } from './pod-resize.ts';
import { runEphemeralContainers } from './ephemeral-containers.ts';
import { SAFE_SYSCTL_ALLOWLIST } from './runtime/sysctl-allowlist.ts';
import { MISSING_CLUSTER_DNS_MESSAGE } from './network/dns/resolv-conf.ts';

export { gracePeriodOf, type PodSyncDeps } from './pod-sync-deps.ts';

/** The newest instance of each container, as the prober sees it. */
function snapshots(containers: readonly ContainerStatus[]): Map<string, ContainerSnapshot> {
  const out = new Map<string, ContainerSnapshot>();
  for (const [name, { latest }] of attemptsByName(containers)) {
    out.set(name, { id: latest.id, running: latest.state === 'running', ...(latest.startedAt ? { startedAt: Date.parse(latest.startedAt) } : {}) });
  }
  return out;
}

export class PodSyncer {
  /** The pod → sandboxes/containers map the relist fills (observe) and the workers keep. */
  readonly index: RuntimeIndex;
  /** Liveness, readiness and startup probes of the node's containers. */
  readonly probes: ProbeManager;
  readonly #d: PodSyncDeps;
  readonly #c: SyncContext;
  readonly #status: PodStatusWriter;
  readonly #admitter: PodAdmitter;
  readonly #runner: ContainerRunner;
  readonly #teardown: PodTeardown;
  readonly #resize: PodResizer;

  constructor(d: PodSyncDeps) {
    this.#d = d;
    this.index = new RuntimeIndex(d.runtime);
    this.#status = new PodStatusWriter(d.client);
    this.probes = new ProbeManager({
      run: d.runProbe ?? newProbeRunner(d.runtime), now: d.now,
      event: (pod, c, reason, message) => this.#c.event(pod, c, 'Warning', reason, message),
      // A terminating pod's worker is busy stopping it: its readiness is written from the teardown.
      changed: (uid) => void (this.#teardown.readinessChanged(uid) || d.requeueAfter(uid, 0)),
    });
    const life = new ContainerLifecycle({
      runtime: d.runtime, now: d.now, log: d.log, event: (pod, c, type, reason, message) => this.#c.event(pod, c, type, reason, message),
      hookIP: (pod) => (pod.spec?.hostNetwork ? d.hostIP : this.#c.podIPs(pod)?.[0]),
    });
    this.#c = {
      d, index: this.index, probes: this.probes, life, status: this.#status,
      view: (uid) => this.view(uid),
      event: (pod, c, type, reason, message) => {
        const field = (pod.spec?.initContainers ?? []).some((i) => i.name === c.name) ? 'initContainers' : (pod.spec?.ephemeralContainers ?? []).some((e) => e.name === c.name) ? 'ephemeralContainers' : 'containers';
        d.recorder?.event(pod as K8sObject, resources.pods, type, reason, message, `spec.${field}{${c.name}}`);
      },
      podIPs: (pod) => {
        const ip = d.network?.addressOf(pod.metadata?.uid ?? '');
        return ip ? [ip] : undefined;
      },
      verdict: (uid) => ({ started: (name, id) => this.probes.started(uid, name, id), ready: (name, id) => this.probes.ready(uid, name, id) }),
    };
    this.#teardown = new PodTeardown(this.#c, (uid) => this.forget(uid));
    this.#resize = new PodResizer(this.#c);
    this.#admitter = new PodAdmitter(this.#c, async (pod, grace) => this.#teardown.terminalStatus(pod, await this.#teardown.kill(pod, grace)), (p) => this.#resize.allocatedPod(p));
    this.#runner = new ContainerRunner(this.#c, (uid) => this.#admitter.order(uid));
  }

  /** Per-container restart backoff (CrashLoopBackOff). */
  get backoff(): CrashBackoff {
    return this.#runner.backoff;
  }

  /** Per-container image pull backoff (ImagePullBackOff). */
  get pullBackoff(): CrashBackoff {
    return this.#runner.pullBackoff;
  }

  async view(uid: string): Promise<SyncView> {
    const own = await this.index.view(uid);
    const sandboxes = own.sandboxes.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const sandbox = sandboxes.find((s) => s.state === 'ready') ?? sandboxes[sandboxes.length - 1];
    // Exited containers with their termination messages (the pod's spec noted at its sync).
    const containers = this.#d.managedFiles ? await this.#d.managedFiles.withMessages(uid, own.containers) : own.containers;
    return { sandbox, sandboxes, containers };
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
    const d = this.#d;
    const uid = pod.metadata?.uid ?? '';
    tracePodStart(uid, 'sync');
    d.managedFiles?.note(pod);
    if (isDone(pod.status?.phase)) {
      this.probes.forget(uid);
      await this.#teardown.stopAll(uid, 0, false);
      // Its volumes go with its containers, as the kubelet's SyncTerminatedPod waits for them to
      // unmount: a memory-backed emptyDir of a finished or evicted pod would hold the node's memory
      // until the pod is deleted, counted for no pod that eviction could choose. Its directory (the
      // termination message files) stays until the pod is deleted, as the kubelet's does.
      await d.volumes?.tearDownVolumes(uid);
      // So does its address, as StopPodSandbox's CNI DEL releases it: kept until the pod was deleted,
      // the finished pods a tenant keeps (a Job's) used up the node's podCIDR for everyone.
      if (d.network?.addressOf(uid) !== undefined) await d.network.tearDown(refOf(pod));
      return;
    }
    const verdict = d.evictionVerdict?.(uid);
    if (verdict) return this.#teardown.evict(pod, verdict);
    const pressure = d.pressureVerdict?.(uid);
    if (pressure) return this.#teardown.evict(pod, pressure, true, d.pressureGrace?.(uid));
    let view = await this.view(uid);
    // What the pod's running containers were admitted with (pod-resize.ts), for its admission too.
    await this.#resize.adopt(pod, view);
    if (!(await this.#admitter.admit(pod, view))) return;
    if (d.volumes && (await this.#setUpVolumes(pod, view))) return;
    // In-place resize (pod-resize.ts): the allocation decided, running containers updated or restarted; containers start with the allocation.
    const resized = await this.#resize.sync(pod, view, () => this.#writeStatus(pod, view));
    if (resized.killed) view = await this.view(uid);
    const policy = pod.spec?.restartPolicy ?? 'Always';
    let sandbox = view.sandbox?.state === 'ready' ? view.sandbox : undefined;
    // A pod that never restarts anything does not get a second sandbox once it has run.
    if (!sandbox && !(policy === 'Never' && view.containers.length > 0)) {
      sandbox = await this.#createSandbox(pod, view);
      this.index.addSandbox(uid, sandbox.id);
    }
    const waiting = new Map<string, Waiting>();
    let podIPs: string[] | undefined;
    if (sandbox && !pod.spec?.hostNetwork && d.network && sandbox.namespaces.net) {
      // The network comes before any container (PodReadyToStartContainers); idempotent per sync.
      podIPs = (await d.network.setUp(refOf(pod), sandbox.namespaces.net)).ips;
    }
    if (sandbox) {
      // SyncPod's generatePodSandboxConfig for the containers to start (GetPodDNS).
      this.#checkClusterDNS(pod);
      const att = attemptsByName(view.containers);
      await runEphemeralContainers(this.#c, this.#runner, pod, sandbox, att, waiting);
      if (await this.#runner.runInit(resized.pod, sandbox, att, waiting)) {
        for (const c of resized.pod.spec?.containers ?? []) await this.#runner.run(resized.pod, sandbox, c, att.get(c.name), waiting, false);
      }
      view = await this.view(uid);
    }
    podIPs ??= this.#c.podIPs(pod);
    this.probes.update(pod, pod.spec?.hostNetwork ? d.hostIP : podIPs?.[0], snapshots(view.containers));
    const status = computePodStatus(pod, { view, waiting, hostIP: d.hostIP, now: d.now(), scheme: d.scheme, podIPs, probes: this.#c.verdict(uid) });
    await this.#resize.decorate(pod, status, view);
    if (isDone(status.phase)) this.probes.forget(uid);
    if (isDone(status.phase) && view.sandbox?.state === 'ready') await d.runtime.stopSandbox(view.sandbox.id);
    await this.#status.write(pod, status);
  }

  /**
   * createPodSandbox: its hostname (the FQDN with setHostnameAsFQDN) and files, then the runtime's
   * sandbox. A failure is a FailedCreatePodSandBox event and the pod's status as it is (its
   * containers ContainerCreating), the sync failing to be retried, as SyncPod.
   */
  async #createSandbox(pod: Pod, view: SyncView): Promise<SandboxStatus> {
    const d = this.#d;
    try {
      const hostname = d.managedFiles?.sandboxHostname(pod);
      this.#checkClusterDNS(pod);
      const podFiles = await d.podFiles?.(pod);
      return await this.#runner.gated(pod.metadata?.uid ?? '', 'sandbox', () => d.runtime.createSandbox({ pod: refOf(pod), spec: pod.spec!, podFiles, sysctls: (d.sysctls ?? SAFE_SYSCTL_ALLOWLIST).check(pod.spec!), ...(hostname ? { hostname } : {}) }));
    } catch (err) {
      if (err instanceof StartAbandoned) throw err;
      d.recorder?.event(pod as K8sObject, resources.pods, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
      await this.#status.write(pod, computePodStatus(pod, { view, waiting: new Map(), hostIP: d.hostIP, now: d.now(), scheme: d.scheme }));
      throw err;
    }
  }

  /**
   * The kubelet's GetPodDNS, at each generatePodSandboxConfig (a sandbox made, and every sync that
   * goes on to its containers): a pod that uses the cluster DNS on a node without one gets the
   * Default policy's resolv.conf and a MissingClusterDNS warning, on the Node and on the pod.
   */
  #checkClusterDNS(pod: Pod): void {
    const d = this.#d;
    if (!d.recorder || !d.missingClusterDNS?.(pod)) return;
    const node = d.node?.().metadata?.name;
    if (node) d.recorder.event({ metadata: { name: node, uid: node } } as K8sObject, resources.nodes, 'Warning', 'MissingClusterDNS', MISSING_CLUSTER_DNS_MESSAGE);
    d.recorder.event(pod as K8sObject, resources.pods, 'Warning', 'MissingClusterDNS', `pod: ${JSON.stringify(podDesc(pod))}. ${MISSING_CLUSTER_DNS_MESSAGE}`);
  }

  /** The pod's status as it is now, written (PodResizeInProgress before a resize is applied). */
  async #writeStatus(pod: Pod, view: SyncView): Promise<void> {
    const d = this.#d;
    const uid = pod.metadata?.uid ?? '';
    const status = computePodStatus(pod, { view, waiting: new Map(), hostIP: d.hostIP, now: d.now(), scheme: d.scheme, podIPs: this.#c.podIPs(pod), probes: this.#c.verdict(uid) });
    await this.#resize.decorate(pod, status, view);
    await this.#status.write(pod, status);
  }

  /**
   * WaitForAttachAndMount, on every sync so that updates reach the files: each volume that fails is
   * a FailedMount event. A pod not started yet stays Pending (ContainerCreating) and the sync fails,
   * retried with the worker's backoff (a change to a configMap or secret it names syncs it at once);
   * a running pod keeps running with the files it has, as upstream. True when the pod was evicted
   * instead: an emptyDir on disk over its sizeLimit (the kubelet's eviction manager), its
   * containers killed and the pod Failed with reason Evicted.
   */
  async #setUpVolumes(pod: Pod, view: SyncView): Promise<boolean> {
    const d = this.#d;
    try {
      await d.volumes!.setUp(pod);
    } catch (err) {
      if (!(err instanceof VolumeSetUpError)) throw err;
      for (const f of err.failures) d.recorder?.event(pod as K8sObject, resources.pods, 'Warning', 'FailedMount', `MountVolume.SetUp failed for volume "${f.volume}" : ${f.message}`);
      if (view.sandbox?.state === 'ready') return false;
      await this.#status.write(pod, computePodStatus(pod, { view, waiting: new Map(), hostIP: d.hostIP, now: d.now(), scheme: d.scheme }));
      throw err;
    }
    const evict = await d.volumes!.evictionReason(pod);
    if (!evict) return false;
    await this.#teardown.evict(pod, evict);
    return true;
  }

  /**
   * Shuts a pod down for good: `pod` is the last known object. With `deleteFromApi` (the pod is
   * being deleted), the final status is written and the pod deleted with grace 0 once its
   * containers are gone; otherwise (the pod is already gone from the API) only the runtime state.
   */
  terminate(pod: Pod, deleteFromApi: boolean, graceOverride?: number): Promise<void> {
    this.#d.managedFiles?.note(pod);
    return this.#teardown.terminate(pod, deleteFromApi, graceOverride);
  }

  /**
   * Upstream's DeleteAllUnusedContainers for one pod, node-level reclaim under disk pressure: a
   * finished pod's containers and sandboxes (their writable layers and logs) are removed, though
   * the pod is not deleted. Nothing else frees them: a finished pod is no eviction candidate.
   */
  async removeFinished(pod: Pod): Promise<void> {
    if (!isDone(pod.status?.phase)) return;
    await this.#teardown.stopAll(pod.metadata?.uid ?? '', 0, true);
  }

  /** Drops the resize allocations (and their checkpoint files) of pods for which `live` is false: pods gone while no agent ran. */
  retainAllocations(live: (uid: string) => boolean): void {
    this.#resize.retain(live);
  }

  forget(uid: string): void {
    void this.#d.managedFiles?.forget(uid).catch((err: Error) => this.#d.log.warn({ uid, err: err.message }, 'pod files not removed'));
    this.probes.forget(uid);
    this.#resize.forget(uid);
    this.#teardown.forget(uid);
    this.#status.forget(uid);
    this.#admitter.forget(uid);
    this.#runner.forget(uid);
  }
}
