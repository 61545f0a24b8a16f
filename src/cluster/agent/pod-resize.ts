/**
 * In-place pod resize on the node (InPlacePodVerticalScaling, beta and on by default in 1.33; the
 * kubelet's allocation manager, handlePodResourcesResize and kuberuntime's computePodResizeAction /
 * doPodResizeAction, cut down).
 *
 * Each pod has an allocation: the resources of its containers and sidecars the node has admitted,
 * the spec's at the pod's first sync. When the spec (changed through pods/resize) differs from it,
 * the resize must fit: a pod asking for more than the node's allocatable is Infeasible, one that
 * does not fit beside the other pods (the agent's admission check, pod-admission.ts) is Deferred
 * and tried again; either is condition PodResizePending with upstream's reason and message, and
 * the pod keeps running with what it has. An admitted resize becomes the allocation.
 *
 * Running containers are then brought to the allocation: a container whose cpu or memory changed
 * and whose resizePolicy for that resource is RestartContainer is killed (and started again with
 * the new resources by the container runner); any other gets its cgroup updated in place
 * (runtime.updateContainerResources, `runc update`) with no restart. While that is done the pod
 * has condition PodResizeInProgress (reason Error and the message when an update failed, tried
 * again). Containers started later (restarts included) are created with the allocation, not the
 * spec: a Deferred resize does not sneak in through a crash.
 *
 * Status: containerStatuses[].resources (and a sidecar's in initContainerStatuses) is the
 * allocation, with the cpu request, cpu limit and memory limit of a running container as its
 * cgroup has them (upstream's convertContainerStatusResources). allocatedResources is not reported:
 * InPlacePodVerticalScalingAllocatedStatus is alpha and off by default in 1.33.
 *
 * The allocation is checkpointed (allocation-checkpoint.ts, the agent's <data-dir>/allocated_pods_state,
 * as the kubelet's allocation manager keeps allocated_pods_state): written when a pod is first
 * allocated and at each admitted resize, read back at start for every pod, so that after an agent
 * restart resizes are judged against it, as upstream. A pod with no checkpoint (one from before
 * it, or a lost file) has its allocation taken from what the containers' latest instances
 * (running, or exited and still held by the runtime) were set to (cpu request and limit, memory
 * limit) and the spec for the rest (a memory request no higher than the memory limit it runs
 * with); a change of the memory request alone made while no agent ran is then taken as admitted
 * (no cgroup records it), and so is any change to a container the runtime holds no instance of.
 */
import type { Container, Pod, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import { quantitiesEqual } from '../../api/validation/equality.ts';
import { formatQty, qtyFromInt, qtyFromMilli } from '../../api/quantity.ts';
import { rfc3339 } from '../sim/node-template.ts';
import { admitPod, podRequest } from './pod-admission.ts';
import { attemptsByName } from './pod-status.ts';
import { gracePeriodOf, isDone, type SyncContext, type SyncView } from './pod-sync-deps.ts';
import { byteValue, containerResources, milliValue, type CgroupResources } from './runtime/cgroup-resources.ts';
import type { Resources } from './allocation-checkpoint.ts';

type Cond = { type: string; status: 'True'; lastProbeTime: string; lastTransitionTime: string; reason?: string; message?: string };

/** How long a Deferred resize or a failed update waits before it is tried again. */
export const RESIZE_RETRY_MS = 10_000;
/** cm.MinShares and cm.MinMilliCPULimit: at or below these the allocated value is reported. */
const MIN_SHARES = 2;
const MIN_MILLI_CPU_LIMIT = 10;

const uidOf = (p: Pod): string => p.metadata?.uid ?? '';
const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

/** The containers whose resources can be resized: regular ones and sidecars. */
function resizable(pod: Pod): Container[] {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter(isSidecar)];
}

function resourcesOf(c: Container): Resources {
  const out: Resources = {};
  if (c.resources?.requests) out.requests = { ...(c.resources.requests as Record<string, string>) };
  if (c.resources?.limits) out.limits = { ...(c.resources.limits as Record<string, string>) };
  return out;
}

/** A milli-cpu amount as resource.NewMilliQuantity(DecimalSI) prints it. */
function milliText(milli: number): string {
  return formatQty(qtyFromMilli(milli));
}

/** A byte count as resource.NewQuantity(BinarySI) prints it: the largest power of 1024 that divides it. */
export function bytesText(bytes: number): string {
  return formatQty(qtyFromInt(bytes, 'BinarySI'));
}

/** sharesToMilliCPU / quotaToMilliCPU of kuberuntime. */
const sharesToMilli = (shares: number): number => (shares >= MIN_SHARES ? Math.ceil((shares * 1000) / 1024) : 0);
const quotaToMilli = (quota: number, period: number): number => (period > 0 && quota > 0 ? Math.floor((quota * 1000) / period) : 0);

/** The allocation with what the running container's cgroup has (convertContainerStatusResources). */
export function statusResources(alloc: Resources, actual: CgroupResources | undefined): ResourceRequirements {
  const out: Resources = {};
  if (alloc.requests) out.requests = { ...alloc.requests };
  if (alloc.limits) out.limits = { ...alloc.limits };
  if (!actual) return out as ResourceRequirements;
  if (out.limits) {
    const milli = actual.cpu.quota !== undefined ? quotaToMilli(actual.cpu.quota, actual.cpu.period ?? 100_000) : undefined;
    if (milli !== undefined && out.limits.cpu !== undefined && (milli > MIN_MILLI_CPU_LIMIT || milliValue(out.limits.cpu) > MIN_MILLI_CPU_LIMIT)) out.limits.cpu = milliText(milli);
    if (actual.memory && out.limits.memory !== undefined) out.limits.memory = bytesText(actual.memory.limit);
  }
  if (out.requests?.cpu !== undefined) {
    const milli = sharesToMilli(actual.cpu.shares);
    if (milli > MIN_SHARES || milliValue(out.requests.cpu) > MIN_SHARES) out.requests.cpu = milliText(milli);
  }
  return out as ResourceRequirements;
}

/** Each cpu request, cpu limit and memory limit of `alloc` raised to what the cgroup `actual` has now. */
function widest(alloc: Resources, actual: CgroupResources): Resources {
  const out: Resources = { ...(alloc.requests ? { requests: { ...alloc.requests } } : {}), ...(alloc.limits ? { limits: { ...alloc.limits } } : {}) };
  const raise = (list: Record<string, string> | undefined, k: string, have: number, text: (n: number) => string, of: (q: string) => number) => {
    if (list?.[k] !== undefined && have > of(list[k]!)) list[k] = text(have);
  };
  raise(out.requests, 'cpu', sharesToMilli(actual.cpu.shares), milliText, milliValue);
  if (actual.cpu.quota !== undefined) raise(out.limits, 'cpu', quotaToMilli(actual.cpu.quota, actual.cpu.period ?? 100_000), milliText, milliValue);
  if (actual.memory) raise(out.limits, 'memory', actual.memory.limit, bytesText, byteValue);
  return out;
}

/** `spec` with the cpu request, cpu limit and memory limit the cgroup `actual` has (those it sets), the memory request at most that limit. */
function runsWith(spec: Resources, actual: CgroupResources): Resources {
  const out: Resources = { ...(spec.requests ? { requests: { ...spec.requests } } : {}), ...(spec.limits ? { limits: { ...spec.limits } } : {}) };
  if (out.requests?.cpu !== undefined) out.requests.cpu = milliText(sharesToMilli(actual.cpu.shares));
  if (out.limits?.cpu !== undefined && actual.cpu.quota !== undefined) out.limits.cpu = milliText(quotaToMilli(actual.cpu.quota, actual.cpu.period ?? 100_000));
  if (out.limits?.memory !== undefined && actual.memory) out.limits.memory = bytesText(actual.memory.limit);
  // No cgroup holds the memory request: the spec's, but not above the limit the container runs with.
  const memReq = out.requests?.memory;
  if (memReq !== undefined && actual.memory && byteValue(memReq) > actual.memory.limit) out.requests!.memory = bytesText(actual.memory.limit);
  return out;
}

/** Whether two cgroup settings differ in cpu (shares, quota) and in memory (limit). */
function changes(a: CgroupResources, b: CgroupResources): { cpu: boolean; memory: boolean } {
  const cpu = a.cpu.shares !== b.cpu.shares || (a.cpu.quota ?? 0) !== (b.cpu.quota ?? 0) || (a.cpu.quota !== undefined && (a.cpu.period ?? 0) !== (b.cpu.period ?? 0));
  const memory = (a.memory?.limit ?? 0) !== (b.memory?.limit ?? 0);
  return { cpu, memory };
}

const policyOf = (c: Container, resource: string): string => c.resizePolicy?.find((p) => p.resourceName === resource)?.restartPolicy ?? 'NotRequired';

/** Replaces each resizable container's resources with `alloc`'s. */
function withResources(pod: Pod, alloc: ReadonlyMap<string, Resources>): Pod {
  const spec = pod.spec;
  if (!spec) return pod;
  const swap = (c: Container): Container => {
    const a = alloc.get(c.name);
    return a ? { ...c, resources: a as ResourceRequirements } : c;
  };
  return {
    ...pod,
    spec: { ...spec, containers: spec.containers.map(swap), ...(spec.initContainers ? { initContainers: spec.initContainers.map((c) => (isSidecar(c) ? swap(c) : c)) } : {}) },
  };
}

export interface ResizeSync {
  /** The pod as the node runs it: its containers' resources the allocation's (for the container runner). */
  pod: Pod;
  /** Containers were killed for a RestartContainer resize: the runtime view is stale. */
  killed: boolean;
}

export class PodResizer {
  readonly #c: SyncContext;
  /** Per pod uid: container name → allocated resources (bounded by the pods on the node; dropped with the pod). */
  #alloc = new Map<string, Map<string, Resources>>();
  #pending = new Map<string, Cond>();
  #progress = new Map<string, Cond>();
  /** Per container id: its cgroup settings, as the runtime reported or an update set them (dropped with the pod). */
  #actual = new Map<string, { uid: string; r: CgroupResources }>();

  constructor(c: SyncContext) {
    this.#c = c;
    // The checkpoint's allocations (an agent restart): what admission counts for every pod, synced yet or not.
    const restored = c.d.allocations?.load();
    if (restored) this.#alloc = restored;
  }

  #allocation(pod: Pod): Map<string, Resources> {
    const uid = uidOf(pod);
    let a = this.#alloc.get(uid);
    if (!a) {
      a = new Map(resizable(pod).map((c) => [c.name, resourcesOf(c)]));
      this.#alloc.set(uid, a);
      this.#checkpoint(pod, a);
    }
    return a;
  }

  /** SetAllocatedResources at admission: a checkpoint that cannot be written is logged, the pod runs. */
  #checkpoint(pod: Pod, a: ReadonlyMap<string, Resources>): void {
    try {
      this.#c.d.allocations?.save(uidOf(pod), a);
    } catch (err) {
      this.#c.d.log.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: (err as Error).message }, 'pod allocation not checkpointed');
    }
  }

  /**
   * The allocation of a pod first seen with containers (after an agent restart): what its latest
   * instances, running or exited, were created with (cpu request and limit, memory limit as the
   * runtime recorded them; the rest from the spec), so a resize asked for while no agent ran is
   * judged like any other rather than taken as admitted. The pod's admission (pod-admitter.ts)
   * judges it at this allocation too. This stands in for upstream's checkpoint (AddPod:
   * UpdatePodFromAllocation, then canAdmitPod): a container the runtime has no instance of gets
   * the spec, as a pod the checkpoint does not hold does upstream. Nothing once it has one.
   */
  async adopt(pod: Pod, view: SyncView): Promise<void> {
    const uid = uidOf(pod);
    const known = this.#alloc.get(uid);
    if (known) {
      // Checkpointed: a container it does not name has the spec's (updatePodFromAllocation).
      for (const c of resizable(pod)) if (!known.has(c.name)) known.set(c.name, resourcesOf(c));
      return;
    }
    const att = attemptsByName(view.containers);
    const a = new Map<string, Resources>();
    for (const c of resizable(pod)) {
      const spec = resourcesOf(c);
      // Any instance the runtime still has, running or exited: it was created with the allocation.
      const latest = att.get(c.name)?.latest;
      const actual = latest ? await this.#actualOf(uid, latest.id) : undefined;
      const ch = actual && changes(actual, containerResources(c));
      a.set(c.name, actual && (ch!.cpu || ch!.memory) ? runsWith(spec, actual) : spec);
    }
    this.#alloc.set(uid, a);
    this.#checkpoint(pod, a);
  }

  /** The pod with its allocated resources (what admission counts for it); as is before its first sync. */
  allocatedPod(pod: Pod): Pod {
    const a = this.#alloc.get(uidOf(pod));
    return a ? withResources(pod, a) : pod;
  }

  /** canResizePod: undefined when the resized pod fits, else PodResizePending's reason and message. */
  #fit(pod: Pod): { reason: 'Infeasible' | 'Deferred'; message: string } | undefined {
    const d = this.#c.d;
    const uid = uidOf(pod);
    const cpuReq = podRequest(pod, 'cpu');
    const memReq = podRequest(pod, 'memory');
    const cpuCap = d.allocatable.cpu !== undefined ? BigInt(milliValue(d.allocatable.cpu)) : undefined;
    const memCap = d.allocatable.memory !== undefined ? BigInt(byteValue(d.allocatable.memory)) : undefined;
    if (memCap !== undefined && memReq > memCap) return { reason: 'Infeasible', message: `Node didn't have enough capacity: memory, requested: ${memReq}, capacity: ${memCap}` };
    if (cpuCap !== undefined && cpuReq > cpuCap) return { reason: 'Infeasible', message: `Node didn't have enough capacity: cpu, requested: ${cpuReq}, capacity: ${cpuCap}` };
    // Treated as a new pod asking to be admitted beside the others, at their allocations.
    const others = d.pods().filter((p) => uidOf(p) !== uid && !isDone(p.status?.phase)).map((p) => this.allocatedPod(p));
    const rejection = admitPod(pod, others, d.allocatable, d.node?.(), d.nodePressure?.(), d.sysctls);
    return rejection ? { reason: 'Deferred', message: rejection.message.replace(/^Pod was rejected: /, '') } : undefined;
  }

  #condition(type: string, old: Cond | undefined, reason?: string, message?: string): Cond {
    const now = rfc3339(this.#c.d.now());
    if (old && old.reason === reason && old.message === message) return old;
    const c: Cond = { type, status: 'True', lastProbeTime: now, lastTransitionTime: old && old.reason === reason ? old.lastTransitionTime : now };
    if (reason) c.reason = reason;
    if (message) c.message = message;
    return c;
  }

  async #actualOf(uid: string, id: string): Promise<CgroupResources | undefined> {
    const known = this.#actual.get(id);
    if (known) return known.r;
    const r = await this.#c.d.runtime.containerResources(id);
    if (r) this.#actual.set(id, { uid, r });
    return r;
  }

  /**
   * A live pod's resize step, after admission: the allocation decided, running containers brought
   * to it. `report` writes the pod's status (PodResizeInProgress) before containers are changed.
   */
  async sync(pod: Pod, view: SyncView, report: () => Promise<void>): Promise<ResizeSync> {
    const d = this.#c.d;
    const uid = uidOf(pod);
    await this.adopt(pod, view);
    const alloc = this.#allocation(pod);
    const asked = resizable(pod).filter((c) => !quantitiesEqual(resourcesOf(c), alloc.get(c.name) ?? {}));
    if (asked.length === 0) {
      this.#pending.delete(uid);
    } else {
      const refused = this.#fit(pod);
      if (refused) {
        this.#pending.set(uid, this.#condition('PodResizePending', this.#pending.get(uid), refused.reason, refused.message));
        if (refused.reason === 'Deferred') d.requeueAfter(uid, RESIZE_RETRY_MS);
      } else {
        // Checkpointed first: a resize the checkpoint does not hold is not admitted (the sync fails and is retried).
        const next = new Map(alloc);
        for (const c of asked) next.set(c.name, resourcesOf(c));
        d.allocations?.save(uid, next);
        for (const c of asked) alloc.set(c.name, resourcesOf(c));
        this.#pending.delete(uid);
        d.log.info({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, containers: asked.map((c) => c.name) }, 'pod resize allocated');
      }
    }
    const allocated = withResources(pod, alloc);

    const att = attemptsByName(view.containers);
    const work: Array<{ c: Container; id: string; actual: CgroupResources; want: CgroupResources }> = [];
    for (const c of resizable(allocated)) {
      const latest = att.get(c.name)?.latest;
      if (latest?.state !== 'running') continue;
      const actual = await this.#actualOf(uid, latest.id);
      if (!actual) continue;
      const want = containerResources(c);
      const ch = changes(actual, want);
      if (ch.cpu || ch.memory) work.push({ c, id: latest.id, actual, want });
    }
    if (work.length === 0) {
      this.#progress.delete(uid);
      return { pod: allocated, killed: false };
    }
    this.#progress.set(uid, this.#condition('PodResizeInProgress', this.#progress.get(uid)));
    await report();
    let killed = false;
    let failed: string | undefined;
    const fail = (what: string, err: unknown) => {
      failed = `${what}: ${(err as Error).message}`;
      d.log.warn({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: failed }, 'pod resize failed');
    };
    // The pod's cgroup holds its containers: widened first (each value the larger of what runs and
    // what is allocated), so no container is set above it, and brought to the allocation last.
    const sandboxId = view.sandbox?.state === 'ready' ? view.sandbox.id : undefined;
    const widened = withResources(allocated, new Map(work.map((w) => [w.c.name, widest(resourcesOf(w.c), w.actual)])));
    if (sandboxId) await d.runtime.updatePodResources(sandboxId, widened.spec!).catch((err) => fail('failed to resize the pod cgroup', err));
    for (const w of failed ? [] : work) {
      const ch = changes(w.actual, w.want);
      if ((ch.cpu && policyOf(w.c, 'cpu') === 'RestartContainer') || (ch.memory && policyOf(w.c, 'memory') === 'RestartContainer')) {
        await this.#c.life.kill(allocated, w.c, w.id, `Container ${w.c.name} resize requires restart`, gracePeriodOf(pod));
        this.#actual.delete(w.id);
        killed = true;
        continue;
      }
      const next: CgroupResources = { ...w.actual, cpu: w.want.cpu, ...(w.want.memory ? { memory: w.want.memory } : {}) };
      try {
        await d.runtime.updateContainerResources(w.id, next);
        this.#actual.set(w.id, { uid, r: next });
      } catch (err) {
        // The runtime may have applied part of it: read again next time.
        this.#actual.delete(w.id);
        fail(`failed to resize container ${w.c.name}`, err);
      }
    }
    if (sandboxId && !failed) await d.runtime.updatePodResources(sandboxId, allocated.spec!).catch((err) => fail('failed to resize the pod cgroup', err));
    if (failed) {
      this.#progress.set(uid, this.#condition('PodResizeInProgress', this.#progress.get(uid), 'Error', failed));
      d.requeueAfter(uid, RESIZE_RETRY_MS);
    } else if (!killed) {
      this.#progress.delete(uid);
    }
    return { pod: allocated, killed };
  }

  /**
   * The resize part of the pod's status: each resizable container's resources (the allocation; a
   * running one's cpu and memory as its cgroup has them) and the PodResizePending /
   * PodResizeInProgress conditions (none once the pod is finished).
   */
  async decorate(pod: Pod, status: Record<string, unknown>, view: SyncView): Promise<void> {
    const uid = uidOf(pod);
    const alloc = this.#allocation(pod);
    const att = attemptsByName(view.containers);
    // Containers the runtime no longer has (replaced by a restart, removed) leave the cache.
    const live = new Set(view.containers.map((c) => c.id));
    for (const [id, v] of this.#actual) if (v.uid === uid && !live.has(id)) this.#actual.delete(id);
    const fill = async (list: unknown, specs: readonly Container[]) => {
      if (!Array.isArray(list)) return;
      for (const s of list as Array<Record<string, any>>) {
        const spec = specs.find((c) => c.name === s.name);
        const a = spec && alloc.get(spec.name);
        if (!a) continue;
        const latest = att.get(s.name)?.latest;
        const actual = s.state?.running && latest?.state === 'running' ? await this.#actualOf(uid, latest.id) : undefined;
        s.resources = statusResources(a, actual);
      }
    };
    await fill(status.containerStatuses, pod.spec?.containers ?? []);
    await fill(status.initContainerStatuses, (pod.spec?.initContainers ?? []).filter(isSidecar));
    const conds = ((status.conditions ?? []) as Array<{ type: string }>).filter((c) => c.type !== 'PodResizePending' && c.type !== 'PodResizeInProgress');
    if (!isDone(status.phase)) {
      const pending = this.#pending.get(uid);
      const progress = this.#progress.get(uid);
      if (pending) conds.push(pending);
      if (progress) conds.push(progress);
    }
    status.conditions = conds;
  }

  /** The allocations of pods for which `live` is false are dropped, in memory and on disk (RemoveOrphanedPods). */
  retain(live: (uid: string) => boolean): void {
    for (const uid of this.#alloc.keys()) if (!live(uid)) this.forget(uid);
    this.#c.d.allocations?.retain(live);
  }

  forget(uid: string): void {
    try {
      this.#c.d.allocations?.remove(uid);
    } catch (err) {
      // Tried again by retain.
      this.#c.d.log.warn({ uid, err: (err as Error).message }, 'pod allocation checkpoint not removed');
    }
    this.#alloc.delete(uid);
    this.#pending.delete(uid);
    this.#progress.delete(uid);
    for (const [id, v] of this.#actual) if (v.uid === uid) this.#actual.delete(id);
  }
}
