/**
 * One priority level's seats and queues (upstream's queueset, simplified as README says): a request
 * runs at once while the level has a free seat and nobody waits; otherwise it joins the shortest
 * queue of the hand its flow deals (shuffle sharding), or is rejected when that queue is at
 * queueLengthLimit or the level does not queue (limitResponse Reject). A freed seat goes to the
 * head of the next non-empty queue in round-robin order, so each flow sharing a level gets its turn.
 * Each request costs one seat. Memory is bounded by queues × queueLengthLimit.
 */
import { dealHand } from './shuffle-shard.ts';
import { SeatDemand } from './borrowing.ts';

export interface Queuing {
  queues: number;
  handSize: number;
  queueLengthLimit: number;
}

export interface LevelConfig {
  name: string;
  uid: string;
  exempt: boolean;
  /** NominalCL: the level's share of the server's seats. */
  nominal: number;
  /** LendableCL: how many of them other levels may borrow. */
  lendable: number;
  /** BorrowingCL: how many it may borrow (Infinity when borrowingLimitPercent is unset, and for exempt). */
  borrowing: number;
  /** Absent: limitResponse Reject. */
  queuing?: Queuing;
}

export type WaitEnd = 'time-out' | 'cancelled';

export interface Waiter {
  /** Told once when a queued request may run; its seat is taken. */
  dispatch(): void;
  /** Told once when a queued request leaves without running. */
  leave(reason: WaitEnd): void;
}

export interface Ticket {
  /** Take a queued request out (its client went away); no-op once it ran or left. */
  cancel(): void;
}

interface Entry {
  waiter: Waiter;
  hash: bigint;
  queue: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: boolean;
}

class Queue {
  items: Entry[] = [];
  head = 0;
  live = 0;
  push(e: Entry): void {
    this.items.push(e);
    this.live++;
  }
  /** The first live entry (entries that left are skipped and dropped). */
  shift(): Entry | undefined {
    while (this.head < this.items.length) {
      const e = this.items[this.head++]!;
      if (!e.done) {
        this.compact();
        return e;
      }
    }
    this.compact();
    return undefined;
  }
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  entries(): Entry[] {
    return this.items.slice(this.head).filter((e) => !e.done);
  }
  /**
   * An entry left without running (its client went away, or its wait timed out). Its slot is
   * dropped once the entries that left outnumber the live ones: while every seat stays taken no
   * shift() passes over them, and clients that queue and leave would otherwise grow the array
   * without bound. Amortized O(1): each rebuild keeps at most half of what it walks.
   */
  left(): void {
    this.live--;
    if (this.items.length - this.head > 2 * this.live + 64) {
      this.items = this.entries();
      this.head = 0;
    }
  }
  /** Entries held in the array, live or not yet dropped. */
  get held(): number {
    return this.items.length - this.head;
  }
}

export class PriorityLevel {
  cfg: LevelConfig;
  /** CurrentCL: the seats it may use now (NominalCL until borrowing adjusts it). Unused when exempt. */
  limit: number;
  executing = 0;
  waiting = 0;
  /** Seats in use plus seats waiting, over time (for borrowing). */
  readonly demand: SeatDemand;
  #queues: Queue[] = [];
  #robin = -1;
  #enqueues = 0;
  readonly #waitLimitMs: number;

  constructor(cfg: LevelConfig, waitLimitMs: number, clock: () => number) {
    this.cfg = cfg;
    this.limit = cfg.nominal;
    this.demand = new SeatDemand(clock);
    this.#waitLimitMs = waitLimitMs;
    this.#queues = makeQueues(cfg.queuing);
  }

  /**
   * 'run': the request runs now (its seat is taken; call finish() when it is done). A Ticket: it
   * waits in a queue and its Waiter is told. Otherwise why it is rejected.
   */
  admit(hash: () => bigint, waiter: Waiter): 'run' | Ticket | 'queue-full' | 'concurrency-limit' {
    if (this.cfg.exempt || (this.waiting === 0 && this.executing < this.limit)) {
      this.executing++;
      this.#noteDemand();
      return 'run';
    }
    const q = this.cfg.queuing;
    if (!q) return 'concurrency-limit';
    const h = hash();
    const queue = this.#chooseQueue(h, q);
    if (this.#queues[queue]!.live >= q.queueLengthLimit) return 'queue-full';
    const e: Entry = { waiter, hash: h, queue, timer: undefined, done: false };
    this.#queues[queue]!.push(e);
    this.waiting++;
    this.#noteDemand();
    e.timer = setTimeout(() => this.#leave(e, 'time-out'), this.#waitLimitMs);
    e.timer.unref?.();
    return { cancel: () => this.#leave(e, 'cancelled') };
  }

  /** Queue entries held in memory, live or left and not yet dropped (bounded: see Queue.left). */
  get heldEntries(): number {
    let n = 0;
    for (const q of this.#queues) n += q.held;
    return n;
  }

  /** A running request is done: its seat goes to the next waiting one. */
  finish(): void {
    this.executing--;
    this.#noteDemand();
    this.#dispatch();
  }

  /** A new CurrentCL from borrowing: more seats dispatch waiting requests at once. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.#dispatch();
  }

  #noteDemand(): void {
    this.demand.set(this.executing + this.waiting);
  }

  /** A new configuration for the same level: limits apply at once, waiting requests move to the new queues. */
  reconfigure(cfg: LevelConfig): void {
    const old = this.cfg.queuing;
    this.cfg = cfg;
    // As upstream, a new configuration starts again from the nominal limit.
    this.limit = cfg.nominal;
    const q = cfg.queuing;
    if (q && (!old || old.queues !== q.queues || old.handSize !== q.handSize)) {
      const waiting = this.#queues.flatMap((x) => x.entries());
      this.#queues = makeQueues(q);
      this.#robin = -1;
      for (const e of waiting) {
        e.queue = this.#chooseQueue(e.hash, q);
        this.#queues[e.queue]!.push(e);
      }
    }
    this.#dispatch();
  }

  /** Upstream's shuffleShardLocked: the queue of the hand with the least waiting, starting at a rotating offset. */
  #chooseQueue(hash: bigint, q: Queuing): number {
    const hand = dealHand(hash, q.queues, Math.min(q.handSize, q.queues));
    const offset = this.#enqueues++ % hand.length;
    let best = hand[offset]!;
    for (let i = 1; i < hand.length; i++) {
      const idx = hand[(offset + i) % hand.length]!;
      if (this.#queues[idx]!.live < this.#queues[best]!.live) best = idx;
    }
    return best;
  }

  #leave(e: Entry, reason: WaitEnd): void {
    if (e.done) return;
    e.done = true;
    clearTimeout(e.timer);
    this.#queues[e.queue]!.left();
    this.waiting--;
    this.#noteDemand();
    e.waiter.leave(reason);
  }

  #dispatch(): void {
    while (this.waiting > 0 && (this.cfg.exempt || this.executing < this.limit)) {
      const e = this.#next();
      if (!e) return;
      e.done = true;
      clearTimeout(e.timer);
      this.#queues[e.queue]!.live--;
      this.waiting--;
      this.executing++;
      e.waiter.dispatch();
    }
  }

  #next(): Entry | undefined {
    const n = this.#queues.length;
    for (let i = 1; i <= n; i++) {
      const idx = (this.#robin + i) % n;
      const q = this.#queues[idx]!;
      if (q.live === 0) continue;
      const e = q.shift();
      if (e) {
        this.#robin = idx;
        return e;
      }
    }
    return undefined;
  }
}

function makeQueues(q: Queuing | undefined): Queue[] {
  return Array.from({ length: q?.queues ?? 0 }, () => new Queue());
}
