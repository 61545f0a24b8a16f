/**
 * The kubelet's prober manager and workers (pkg/kubelet/prober): one worker per container and
 * probe type, probing every periodSeconds once initialDelaySeconds have passed since the
 * container started; a result is stored only after successThreshold / failureThreshold equal
 * results in a row. Startup gates the others: until a startup probe has succeeded, liveness and
 * readiness are not run and the container is neither started nor ready. Initial values as
 * upstream: readiness Failure, liveness Success, startup Unknown, for each new container id. A
 * liveness or startup failure puts the worker on hold until the container is replaced.
 *
 * Results are per container id, so a restarted container starts over. A changed result calls
 * `changed(uid)` (the pod worker syncs: status, or a kill for a failed liveness/startup probe).
 * Bounded by the pods on the node: workers and results go with their pod or container.
 */
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { realTimers, type Timers } from '../../client/timers.ts';
import type { ProbeRunner } from './run-probe.ts';
import { ProbeMetrics, type ProbeSeries, type ProbeTypeName } from './probe-metrics.ts';

export type ProbeType = 'liveness' | 'readiness' | 'startup';
type Result = 'success' | 'failure' | 'unknown';

const TYPE_NAME: Record<ProbeType, ProbeTypeName> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };
const INITIAL: Record<ProbeType, Result> = { liveness: 'success', readiness: 'failure', startup: 'unknown' };
const specOf = (c: Container, t: ProbeType): Probe | undefined => (t === 'liveness' ? c.livenessProbe : t === 'readiness' ? c.readinessProbe : c.startupProbe);

/** What the manager knows of one container of the pod (its newest instance). */
export interface ContainerSnapshot {
  readonly id: string;
  readonly running: boolean;
  /** ms since the epoch; initialDelaySeconds count from here. */
  readonly startedAt?: number;
}

export interface ProbeManagerDeps {
  run: ProbeRunner;
  /** An event about the container (Unhealthy). */
  event(pod: Pod, container: Container, reason: string, message: string): void;
  /** A stored result changed: the pod's worker should sync. */
  changed(uid: string): void;
  now(): number;
  timers?: Timers;
  /** prober_probe_total and prober_probe_duration_seconds (default: a registry of its own). */
  metrics?: ProbeMetrics;
}

interface PodEntry {
  pod: Pod;
  podIP?: string;
  containers: ReadonlyMap<string, ContainerSnapshot>;
}

class Worker {
  containerId?: string;
  lastResult?: Result;
  resultRun = 0;
  onHold = false;
  timer?: unknown;
  busy = false;
  again = false;
  stopped = false;
  /** Its metric series, once it has probed (dropped when it stops). */
  series?: ProbeSeries;

  readonly uid: string;
  readonly container: Container;
  readonly type: ProbeType;
  readonly spec: Probe;

  constructor(uid: string, container: Container, type: ProbeType, spec: Probe) {
    this.uid = uid;
    this.container = container;
    this.type = type;
    this.spec = spec;
  }
}

export class ProbeManager {
  #d: ProbeManagerDeps;
  #timers: Timers;
  #pods = new Map<string, PodEntry>();
  #workers = new Map<string, Worker>();
  /** `${type}/${containerId}` → the stored result. */
  #results = new Map<string, Result>();
  /** What /metrics/probes serves. */
  readonly metrics: ProbeMetrics;

  constructor(d: ProbeManagerDeps) {
    this.#d = d;
    this.#timers = d.timers ?? realTimers;
    this.metrics = d.metrics ?? new ProbeMetrics();
  }

  /** The containers that may carry probes: regular ones and sidecar (restartPolicy Always) init containers. */
  static probed(pod: Pod): Container[] {
    return [...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])];
  }

  /** The pod as the worker last synced it: starts the workers it needs; probes a newly seen container at once. */
  update(pod: Pod, podIP: string | undefined, containers: ReadonlyMap<string, ContainerSnapshot>): void {
    const uid = pod.metadata?.uid ?? '';
    const prev = this.#pods.get(uid);
    this.#pods.set(uid, { pod, podIP, containers });
    for (const c of ProbeManager.probed(pod)) {
      for (const type of ['startup', 'readiness', 'liveness'] as const) {
        const spec = specOf(c, type);
        if (!spec) continue;
        const key = `${uid}/${c.name}/${type}`;
        let w = this.#workers.get(key);
        if (!w) {
          w = new Worker(uid, c, type, spec);
          this.#workers.set(key, w);
        }
        const now = containers.get(c.name);
        const before = prev?.containers.get(c.name);
        // A new instance, or one that just began to run: probe now rather than a period later.
        const fresh = now !== undefined && (!before || before.id !== now.id || (now.running && !before.running));
        if (fresh || (w.timer === undefined && !w.busy)) this.#trigger(w);
      }
    }
  }

  /** containerStatuses[].started for a running container. */
  started(uid: string, name: string, containerId: string): boolean {
    if (!this.#workers.has(`${uid}/${name}/startup`)) return true;
    return this.#results.get(`startup/${containerId}`) === 'success';
  }

  /** The container's startup probe has succeeded (a sidecar with one holds back the next init container until then). */
  startupSucceeded(containerId: string): boolean {
    return this.#results.get(`startup/${containerId}`) === 'success';
  }

  /** containerStatuses[].ready for a running container. */
  ready(uid: string, name: string, containerId: string): boolean {
    if (!this.started(uid, name, containerId)) return false;
    if (!this.#workers.has(`${uid}/${name}/readiness`)) return true;
    return this.#results.get(`readiness/${containerId}`) === 'success';
  }

  /** The probe whose failure means the running container must be killed, if any. */
  failed(containerId: string): 'liveness' | 'startup' | undefined {
    if (this.#results.get(`liveness/${containerId}`) === 'failure') return 'liveness';
    if (this.#results.get(`startup/${containerId}`) === 'failure') return 'startup';
    return undefined;
  }

  /** The probe spec of a container (terminationGracePeriodSeconds of a failed probe). */
  probeOf(uid: string, name: string, type: ProbeType): Probe | undefined {
    return this.#workers.get(`${uid}/${name}/${type}`)?.spec;
  }

  /**
   * The pod is shutting down gracefully: liveness and startup probing ends (a failure must not kill
   * it now; upstream sets them to success), readiness goes on until the containers stop.
   */
  terminating(uid: string): void {
    for (const [key, w] of this.#workers) {
      if (w.uid !== uid || w.type === 'readiness') continue;
      this.#stopWorker(w);
      this.#workers.delete(key);
    }
  }

  /** Stops probing the pod (deleted, finished, or gone) and drops its results. */
  forget(uid: string): void {
    this.#pods.delete(uid);
    for (const [key, w] of this.#workers) {
      if (w.uid !== uid) continue;
      this.#stopWorker(w);
      this.#workers.delete(key);
    }
  }

  stop(): void {
    for (const uid of [...this.#pods.keys()]) this.forget(uid);
    for (const w of this.#workers.values()) this.#stopWorker(w);
    this.#workers.clear();
  }

  get size(): { workers: number; results: number } {
    return { workers: this.#workers.size, results: this.#results.size };
  }

  #stopWorker(w: Worker): void {
    w.stopped = true;
    if (w.timer !== undefined) this.#timers.clearTimeout(w.timer);
    w.timer = undefined;
    if (w.containerId) this.#results.delete(`${w.type}/${w.containerId}`);
    if (w.series) this.metrics.drop(w.series);
  }

  #trigger(w: Worker): void {
    if (w.stopped) return;
    if (w.busy) {
      w.again = true;
      return;
    }
    if (w.timer !== undefined) this.#timers.clearTimeout(w.timer);
    w.timer = undefined;
    void this.#tick(w);
  }

  async #tick(w: Worker): Promise<void> {
    w.busy = true;
    try {
      do {
        w.again = false;
        await this.#doProbe(w);
      } while (w.again && !w.stopped);
    } catch {
      // a worker never dies of one bad probe (upstream recovers from panics the same way)
    } finally {
      w.busy = false;
    }
    if (!w.stopped) w.timer = this.#timers.setTimeout(() => this.#trigger(w), Math.max(1, w.spec.periodSeconds ?? 10) * 1000);
  }

  #set(w: Worker, result: Result, notify: boolean): void {
    const key = `${w.type}/${w.containerId}`;
    const before = this.#results.get(key);
    this.#results.set(key, result);
    if (notify && before !== result) this.#d.changed(w.uid);
  }

  /** worker.doProbe. */
  async #doProbe(w: Worker): Promise<void> {
    const entry = this.#pods.get(w.uid);
    const c = entry?.containers.get(w.container.name);
    if (!entry || !c) return;
    if (w.containerId !== c.id) {
      if (w.containerId) this.#results.delete(`${w.type}/${w.containerId}`);
      w.containerId = c.id;
      w.onHold = false;
      w.lastResult = undefined;
      w.resultRun = 0;
      this.#set(w, INITIAL[w.type], false);
    }
    if (w.onHold || !c.running) return;
    if (entry.pod.metadata?.deletionTimestamp && w.type !== 'readiness') {
      // A pod being deleted is not killed for a failing probe any more.
      this.#set(w, 'success', false);
      return;
    }
    if (c.startedAt !== undefined && this.#d.now() - c.startedAt < (w.spec.initialDelaySeconds ?? 0) * 1000) return;
    const started = this.started(w.uid, w.container.name, c.id);
    if (w.type === 'startup' ? started : !started) return;

    const start = this.#d.now();
    const out = await this.#d.run(w.spec, { container: w.container, containerId: c.id, podIP: entry.podIP });
    if (w.stopped || w.containerId !== c.id) return;
    const name = TYPE_NAME[w.type];
    if (out.result === 'error') {
      // Prober error: the result is thrown away (and not counted).
      this.#d.event(entry.pod, w.container, 'Unhealthy', `${name} probe errored: ${out.output}`);
      return;
    }
    w.series ??= { pod: entry.pod, container: w.container.name, type: TYPE_NAME[w.type] };
    this.metrics.observe(w.series, out.result === 'success' ? 'successful' : 'failed', (this.#d.now() - start) / 1000);
    if (out.result === 'failure') this.#d.event(entry.pod, w.container, 'Unhealthy', `${name} probe failed: ${out.output}`);
    else if (out.warning) this.#d.event(entry.pod, w.container, 'ProbeWarning', `${name} probe warning: ${out.output}`);
    if (w.lastResult === out.result) w.resultRun++;
    else {
      w.lastResult = out.result;
      w.resultRun = 1;
    }
    if ((out.result === 'failure' && w.resultRun < (w.spec.failureThreshold ?? 3)) || (out.result === 'success' && w.resultRun < (w.spec.successThreshold ?? 1))) return;
    this.#set(w, out.result, true);
    if (w.type === 'startup' && out.result === 'success') {
      // Started: the other probes begin now (upstream triggers readiness at once too).
      for (const t of ['readiness', 'liveness'] as const) {
        const other = this.#workers.get(`${w.uid}/${w.container.name}/${t}`);
        if (other) this.#trigger(other);
      }
    }
    if (w.type !== 'readiness' && out.result === 'failure') {
      // To be restarted: no probing until there is a new container.
      w.onHold = true;
      w.resultRun = 0;
    }
  }
}
