/**
 * The kubelet's pod workers: one serialized worker per pod uid. An update while a sync runs is
 * not queued behind it but coalesced into one more sync with the newest state (the worker reads
 * the pod afresh each time); a failed sync is retried with per-pod backoff; a delayed resync
 * (a CrashLoopBackOff running out) keeps one timer per pod, the earliest. Bounded by the pods on
 * the node: a worker and its timer go when the pod is forgotten.
 */
import { backoffDelay, realTimers, type Timers } from '../client/timers.ts';
import { tracePodStart } from './pod-start-trace.ts';

interface Worker {
  running: boolean;
  again: boolean;
  gone?: boolean;
  failures: number;
  timer?: unknown;
  timerAt?: number;
}

export interface PodWorkersOptions {
  sync(uid: string): Promise<void>;
  timers?: Timers;
  now?: () => number;
  random?: () => number;
  log: { warn(o: object, m: string): void };
}

export class PodWorkers {
  #workers = new Map<string, Worker>();
  #o: PodWorkersOptions;
  #timers: Timers;
  #now: () => number;
  #stopped = false;
  #idle: Array<() => void> = [];

  constructor(o: PodWorkersOptions) {
    this.#o = o;
    this.#timers = o.timers ?? realTimers;
    this.#now = o.now ?? Date.now;
  }

  #worker(uid: string): Worker {
    let w = this.#workers.get(uid);
    if (!w) this.#workers.set(uid, (w = { running: false, again: false, failures: 0 }));
    return w;
  }

  /** Sync the pod now (or right after the sync in progress). */
  update(uid: string): void {
    if (this.#stopped) return;
    tracePodStart(uid, 'update');
    const w = this.#worker(uid);
    w.gone = false;
    if (w.running) {
      w.again = true;
      return;
    }
    void this.#run(uid, w);
  }

  /** Sync the pod after `ms`, unless an earlier resync is already set. */
  updateAfter(uid: string, ms: number): void {
    if (this.#stopped) return;
    const w = this.#worker(uid);
    const at = this.#now() + ms;
    if (w.timer !== undefined && w.timerAt! <= at) return;
    if (w.timer !== undefined) this.#timers.clearTimeout(w.timer);
    w.timerAt = at;
    w.timer = this.#timers.setTimeout(() => {
      w.timer = undefined;
      this.update(uid);
    }, ms);
  }

  async #run(uid: string, w: Worker): Promise<void> {
    w.running = true;
    do {
      w.again = false;
      try {
        await this.#o.sync(uid);
        w.failures = 0;
      } catch (err) {
        const delay = backoffDelay(w.failures++, 1_000, 60_000, this.#o.random ?? Math.random);
        this.#o.log.warn({ uid, err: (err as Error).message, retryInMs: Math.round(delay) }, 'pod sync failed');
        this.updateAfter(uid, delay);
      }
    } while (w.again && !this.#stopped);
    w.running = false;
    if (w.gone && this.#workers.get(uid) === w) this.#workers.delete(uid);
    if (this.busy() === 0) for (const f of this.#idle.splice(0)) f();
  }

  /** Drops the pod's worker (its pending timer too); a sync in progress finishes. */
  forget(uid: string): void {
    const w = this.#workers.get(uid);
    if (!w) return;
    if (w.timer !== undefined) this.#timers.clearTimeout(w.timer);
    if (!w.running) this.#workers.delete(uid);
    else {
      w.again = false;
      w.gone = true;
    }
  }

  busy(): number {
    let n = 0;
    for (const w of this.#workers.values()) if (w.running) n++;
    return n;
  }

  get size(): number {
    return this.#workers.size;
  }

  /** Resolves when no sync is running. */
  whenIdle(): Promise<void> {
    return this.busy() === 0 ? Promise.resolve() : new Promise((r) => this.#idle.push(r));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#workers.values()) if (w.timer !== undefined) this.#timers.clearTimeout(w.timer);
    await this.whenIdle();
  }
}
