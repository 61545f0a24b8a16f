/**
 * The scheduling queue (internal/queue/scheduling_queue.go): an active queue ordered by priority
 * (spec.priority, higher first) then by when the pod was queued; a backoff queue for pods that
 * failed, released after 1 s doubling per attempt up to 10 s (podInitialBackoffSeconds and
 * podMaxBackoffSeconds of the KubeSchedulerConfiguration change both);
 * and an unschedulable set that cluster events (node added or updated, pod deleted) move back,
 * or that is flushed after at most 5 minutes (podMaxInUnschedulablePodsDuration).
 * The queue holds at most one entry per pod key, and only pods the informer shows, so it is
 * bounded by the API's pod count.
 */
import { podKey } from './node-info.ts';
import type { Pod } from './resources.ts';

export const POD_INITIAL_BACKOFF_MS = 1_000;
export const POD_MAX_BACKOFF_MS = 10_000;
export const POD_MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;

export interface QueuedPod {
  pod: Pod;
  key: string;
  /** When it entered the active queue (ordering among equal priorities). */
  timestamp: number;
  attempts: number;
  /** When the last attempt failed. */
  failedAt?: number;
  /** The queue's cluster-event count when this attempt began (see SchedulingQueue.#events). */
  poppedAtEvent?: number;
}

const priority = (p: Pod): number => (typeof p.spec?.priority === 'number' ? p.spec.priority : 0);

function less(a: QueuedPod, b: QueuedPod): boolean {
  const pa = priority(a.pod);
  const pb = priority(b.pod);
  return pa !== pb ? pa > pb : a.timestamp < b.timestamp;
}

/** A binary heap over QueuedPod with removal by key. */
class Heap {
  readonly #items: QueuedPod[] = [];
  readonly #index = new Map<string, number>();
  readonly #less: (a: QueuedPod, b: QueuedPod) => boolean;
  constructor(lessFn: (a: QueuedPod, b: QueuedPod) => boolean) {
    this.#less = lessFn;
  }
  get size(): number {
    return this.#items.length;
  }
  has(key: string): boolean {
    return this.#index.has(key);
  }
  get(key: string): QueuedPod | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i];
  }
  peek(): QueuedPod | undefined {
    return this.#items[0];
  }
  push(q: QueuedPod): void {
    if (this.#index.has(q.key)) this.delete(q.key);
    this.#items.push(q);
    this.#index.set(q.key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }
  pop(): QueuedPod | undefined {
    const top = this.#items[0];
    if (top) this.delete(top.key);
    return top;
  }
  delete(key: string): boolean {
    const i = this.#index.get(key);
    if (i === undefined) return false;
    const last = this.#items.pop()!;
    this.#index.delete(key);
    if (i < this.#items.length) {
      this.#items[i] = last;
      this.#index.set(last.key, i);
      this.#down(i);
      this.#up(i);
    }
    return true;
  }
  #swap(i: number, j: number): void {
    const a = this.#items[i]!;
    const b = this.#items[j]!;
    this.#items[i] = b;
    this.#items[j] = a;
    this.#index.set(b.key, i);
    this.#index.set(a.key, j);
  }
  #up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(this.#items[i]!, this.#items[p]!)) break;
      this.#swap(i, p);
      i = p;
    }
  }
  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(this.#items[l]!, this.#items[m]!)) m = l;
      if (r < n && this.#less(this.#items[r]!, this.#items[m]!)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
  }
}

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

const DEFAULT_BACKOFF: BackoffSettings = { initialMs: POD_INITIAL_BACKOFF_MS, maxMs: POD_MAX_BACKOFF_MS };

export function backoffDuration(attempts: number, b: BackoffSettings = DEFAULT_BACKOFF): number {
  let d = b.initialMs;
  for (let i = 1; i < attempts && d < b.maxMs; i++) d *= 2;
  return Math.min(d, b.maxMs);
}

export class SchedulingQueue {
  readonly #now: () => number;
  readonly #active = new Heap(less);
  readonly #backoff = new Heap((a, b) => this.#backoffExpiry(a) < this.#backoffExpiry(b));
  readonly #unschedulable = new Map<string, QueuedPod>();
  /** Pods handed out by pop() whose cycle has not finished. */
  readonly #inFlight = new Map<string, QueuedPod>();
  /**
   * Cluster events so far: a pod whose cycle saw one (the count moved since it was popped) goes
   * to backoff rather than unschedulable. A counter instead of marking every in-flight pod per
   * event (upstream keeps a list of in-flight events for the same reason): with binds bounded,
   * thousands of pods can be in flight while node heartbeats arrive by the dozen each second.
   */
  #events = 0;
  #waiters: Array<(q: QueuedPod | undefined) => void> = [];
  #closed = false;

  readonly #backoffSettings: BackoffSettings;

  constructor(now: () => number, backoff: BackoffSettings = DEFAULT_BACKOFF) {
    this.#now = now;
    this.#backoffSettings = backoff;
  }

  /** The backoff in force (the configuration's, or 1 s / 10 s). */
  get backoff(): Readonly<BackoffSettings> {
    return this.#backoffSettings;
  }

  #backoffExpiry(q: QueuedPod): number {
    return (q.failedAt ?? q.timestamp) + backoffDuration(q.attempts, this.#backoffSettings);
  }

  get length(): number {
    return this.#active.size + this.#backoff.size + this.#unschedulable.size;
  }

  stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size, inFlight: this.#inFlight.size };
  }

  #toActive(q: QueuedPod): void {
    const w = this.#waiters.shift();
    if (w) {
      this.#inFlight.set(q.key, q);
      q.attempts++;
      q.poppedAtEvent = this.#events;
      w(q);
    } else this.#active.push(q);
  }

  /** A new pending pod (or an update of one): active, unless it waits in backoff/unschedulable. */
  add(pod: Pod): void {
    if (this.#closed) return;
    const key = podKey(pod);
    const flying = this.#inFlight.get(key);
    if (flying) {
      flying.pod = pod;
      return;
    }
    for (const q of [this.#active.get(key), this.#backoff.get(key), this.#unschedulable.get(key)]) {
      if (q) {
        q.pod = pod;
        if (this.#unschedulable.has(key)) {
          // An update of an unschedulable pod may make it schedulable: retry (after its backoff).
          this.#unschedulable.delete(key);
          this.#requeue(q);
        }
        return;
      }
    }
    this.#toActive({ pod, key, timestamp: this.#now(), attempts: 0 });
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    this.#inFlight.delete(key);
  }

  has(key: string): boolean {
    return this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key) || this.#inFlight.has(key);
  }

  /** The next pod to schedule; waits while the active queue is empty; undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    const q = this.#active.pop();
    if (q) {
      this.#inFlight.set(q.key, q);
      q.attempts++;
      q.poppedAtEvent = this.#events;
      return Promise.resolve(q);
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The cycle of `q` is over and the pod was bound (or dropped). */
  done(q: QueuedPod): void {
    this.#inFlight.delete(q.key);
  }

  #requeue(q: QueuedPod): void {
    if (this.#now() < this.#backoffExpiry(q)) this.#backoff.push(q);
    else this.#toActive(q);
  }

  /**
   * AddUnschedulableIfNotPresent: the cycle failed. Unschedulable pods wait for a cluster event;
   * errors, and pods whose cycle saw a cluster event, retry after their backoff.
   */
  addUnschedulable(q: QueuedPod, opts: { error?: boolean } = {}): void {
    if (!this.#inFlight.has(q.key)) return; // deleted meanwhile
    this.#inFlight.delete(q.key);
    q.failedAt = this.#now();
    const sawEvent = this.#events !== q.poppedAtEvent;
    if (this.#closed) return;
    if (opts.error || sawEvent) this.#backoff.push(q);
    else this.#unschedulable.set(q.key, q);
  }

  /** MoveAllToActiveOrBackoffQueue: a cluster event that may make unschedulable pods fit. */
  moveAllToActiveOrBackoff(): void {
    this.#events++;
    const all = [...this.#unschedulable.values()];
    this.#unschedulable.clear();
    for (const q of all) this.#requeue(q);
  }

  /** flushBackoffQCompleted: pods whose backoff is over become active. */
  flushBackoff(): void {
    const now = this.#now();
    for (let q = this.#backoff.peek(); q && this.#backoffExpiry(q) <= now; q = this.#backoff.peek()) {
      this.#backoff.pop();
      this.#toActive(q);
    }
  }

  /** flushUnschedulablePodsLeftover: nothing is unschedulable for longer than 5 minutes. */
  flushUnschedulableLeftover(): void {
    const now = this.#now();
    for (const [key, q] of this.#unschedulable) {
      if (now - (q.failedAt ?? q.timestamp) >= POD_MAX_IN_UNSCHEDULABLE_MS) {
        this.#unschedulable.delete(key);
        this.#requeue(q);
      }
    }
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#waiters) w(undefined);
    this.#waiters = [];
  }
}
