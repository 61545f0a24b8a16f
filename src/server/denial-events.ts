/**
 * Core/v1 Events for denied writes, so that the people who run a namespace see them with
 * `kubectl get events`: a namespaced write refused by admission (reason FailedAdmission) or by
 * authorization (reason Forbidden) leaves a Warning Event about the object, from
 * source.component portcullis-apiserver. (Upstream's apiserver records almost no events; its
 * controllers record FailedCreate when the API refuses them. This records the refusal itself,
 * whoever the client was.)
 *
 * Recording never blocks or fails the request: it runs after the answer, writes through the
 * server's own read-modify-write path (store-mutate.ts), and is bounded three ways, as upstream's
 * EventCorrelator is: the same denial again within the aggregation window raises `count` on one
 * Event instead of writing another; each namespace has a token bucket (a tenant cannot fill the
 * store with events, nor keep the server busy writing them); and at most MAX_PENDING writes run at
 * once. What is dropped is counted (portcullis_denial_events_total{result="dropped"}). The Events
 * this writes expire with every other Event, by the store's --event-ttl (key-ttl-store.ts; those an
 * older build stored without an expiry are given one at start: expiry-backfill.ts). A sweep every
 * 5 minutes also deletes this component's Events an hour past their last occurrence (upstream's
 * --event-ttl default; earlier runs' too) whatever the store does: that bounds them on a store
 * without the TTL wrapper (tests, the simulator) and with --event-ttl 0 (Events kept), and keeps
 * them to an hour under a longer TTL. A tenant's denials, even rate-limited, must not grow the
 * store for ever.
 */
import type { Logger } from 'pino';
import { listPrefix, objectKey, type ResourceDef } from '../api/registry/resource-def.ts';
import type { ResourceRegistry } from '../api/registry/registry.ts';
import { rfc3339 } from '../api/time.ts';
import { StorageError, type Store } from '../storage/types.ts';
import { everyKeyUncounted } from '../storage/page.ts';
import { mutate } from './store-mutate.ts';

export const EVENT_COMPONENT = 'portcullis-apiserver';

export interface DenialEventLimits {
  /** Events (new or aggregated) a namespace may get at once... */
  burst: number;
  /** ...and then one per this many ms. */
  refillMs: number;
  /** A repeat within this window raises count on the same Event (upstream: 10 minutes). */
  aggregateWindowMs: number;
  /** Denials remembered for aggregation, and namespaces with a bucket (oldest forgotten first). */
  maxKeys: number;
  /** An Event this long after its last occurrence is deleted by the sweep (upstream's --event-ttl). */
  ttlMs: number;
}

export const DEFAULT_DENIAL_EVENT_LIMITS: Readonly<DenialEventLimits> = Object.freeze({ burst: 25, refillMs: 10_000, aggregateWindowMs: 600_000, maxKeys: 4096, ttlMs: 3_600_000 });
/** How often expired Events are looked for. */
export const SWEEP_INTERVAL_MS = 5 * 60_000;
const MAX_PENDING = 64;
/** Events the sweep reads at a time (client-go's pager's default page). */
export const SWEEP_PAGE = 500;

export interface Denial {
  namespace: string;
  def: ResourceDef;
  name: string;
  reason: 'FailedAdmission' | 'Forbidden';
  message: string;
}

export interface DenialEventDeps {
  store: Store;
  registry: ResourceRegistry;
  now: () => Date;
  newUid: () => string;
  log: Logger;
  /** Told what became of each denial (recorded, aggregated, dropped, failed). */
  count?: (result: 'recorded' | 'aggregated' | 'dropped' | 'failed') => void;
  limits?: Partial<DenialEventLimits>;
}

export class DenialEvents {
  readonly #d: DenialEventDeps;
  readonly #limits: DenialEventLimits;
  readonly #recent = new Map<string, { key: string; until: number }>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  #pending = 0;
  #seq = 0;

  constructor(d: DenialEventDeps) {
    this.#d = d;
    this.#limits = { ...DEFAULT_DENIAL_EVENT_LIMITS, ...d.limits };
  }

  /** Records `x` in the background; returns the write (tests wait for it), or undefined if dropped. */
  record(x: Denial): Promise<void> | undefined {
    const now = this.#d.now().getTime();
    if (this.#pending >= MAX_PENDING || !this.#take(x.namespace, now)) {
      this.#d.count?.('dropped');
      return undefined;
    }
    this.#pending++;
    return this.#write(x, now)
      .catch((err) => {
        this.#d.count?.('failed');
        this.#d.log.warn({ err, namespace: x.namespace }, 'could not record a denial event');
      })
      .finally(() => this.#pending--);
  }

  async #write(x: Denial, now: number): Promise<void> {
    const id = `${x.namespace}\0${x.def.group}\0${x.def.resource}\0${x.name}\0${x.reason}\0${x.message}`;
    const t = rfc3339(new Date(now));
    const seen = this.#recent.get(id);
    if (seen && seen.until > now) {
      let found = false;
      await mutate(this.#d.store, seen.key, (o) => {
        found = true;
        o.count = (typeof o.count === 'number' ? o.count : 1) + 1;
        o.lastTimestamp = t;
        return o;
      });
      if (found) {
        this.#d.count?.('aggregated');
        return;
      }
    }
    const events = this.#d.registry.get('', 'v1', 'events');
    const nsDef = this.#d.registry.get('', 'v1', 'namespaces');
    if (!events || !nsDef) return;
    // No events in a namespace that does not exist or is going away (nothing could read them,
    // and a made-up namespace name must not become stored data).
    const ns = await this.#d.store.get<{ metadata?: { deletionTimestamp?: string } }>(objectKey(nsDef, '', x.namespace));
    if (!ns || ns.value.metadata?.deletionTimestamp) {
      this.#d.count?.('dropped');
      return;
    }
    const name = `${x.name || x.def.resource}.${this.#suffix(now)}`;
    const key = objectKey(events, x.namespace, name);
    const apiVersion = x.def.group ? `${x.def.group}/${x.def.version}` : x.def.version;
    await this.#d.store.create(key, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: x.namespace, uid: this.#d.newUid(), creationTimestamp: t },
      involvedObject: { apiVersion, kind: x.def.kind, namespace: x.namespace, ...(x.name ? { name: x.name } : {}) },
      reason: x.reason,
      message: x.message,
      source: { component: EVENT_COMPONENT },
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      type: 'Warning',
      eventTime: null,
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: '',
    });
    remember(this.#recent, id, { key, until: now + this.#limits.aggregateWindowMs }, this.#limits.maxKeys);
    this.#d.count?.('recorded');
  }

  /**
   * Deletes the Events this component wrote whose last occurrence is older than the TTL; returns
   * how many. Events of other components are never touched.
   */
  async sweep(): Promise<number> {
    const events = this.#d.registry.get('', 'v1', 'events');
    if (!events) return 0;
    const cutoff = this.#d.now().getTime() - this.#limits.ttlMs;
    const expired = (v: unknown) => {
      const e = v as { source?: { component?: string }; reportingComponent?: string; lastTimestamp?: string };
      return e.source?.component === EVENT_COMPONENT && e.reportingComponent === EVENT_COMPONENT && Date.parse(e.lastTimestamp ?? '') < cutoff;
    };
    let n = 0;
    // Events are read from the store, not the watch cache (upstream keeps none for them): in pages,
    // with a turn of the event loop between them, since one list of every Event (a Scheduled
    // Event a pod) held the server's thread for as long as reading and parsing all of them took.
    let cont: string | undefined;
    do {
      let page;
      try {
        // A predicate (every Event: the expired ones are picked below, so a page stays SWEEP_PAGE
        // rows) spares the store a remainingItemCount: at the first page's revision, which the
        // sweep's deletes leave behind, SQLite counts it by reading the whole rest of the range.
        page = await this.#d.store.list(listPrefix(events, ''), { limit: SWEEP_PAGE, continue: cont, predicate: everyKeyUncounted });
      } catch (err) {
        // Compacted under a long sweep: the next one starts over.
        if (cont && err instanceof StorageError && err.code === 'Compacted') break;
        throw err;
      }
      for (const it of page.items) {
        if (!expired(it.value)) continue;
        try {
          await this.#d.store.delete(it.key, it.modRevision);
          n++;
        } catch (err) {
          // Raised again meanwhile (Conflict) or already gone: the next sweep decides.
          if (!(err instanceof StorageError)) throw err;
        }
      }
      cont = page.continue;
      if (cont) await new Promise((r) => setImmediate(r));
    } while (cont);
    return n;
  }

  /** Sweeps every `intervalMs` until the returned function is called. */
  startSweeper(intervalMs = SWEEP_INTERVAL_MS): () => void {
    const timer = setInterval(() => {
      this.sweep().catch((err) => this.#d.log.warn({ err }, 'could not sweep expired denial events'));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** A token from the namespace's bucket, if it has one. */
  #take(namespace: string, now: number): boolean {
    const l = this.#limits;
    let b = this.#buckets.get(namespace);
    if (!b) b = { tokens: l.burst, at: now };
    const refill = Math.floor((now - b.at) / l.refillMs);
    if (refill > 0) {
      b.tokens = Math.min(l.burst, b.tokens + refill);
      b.at += refill * l.refillMs;
    }
    if (b.tokens === l.burst) b.at = now;
    const ok = b.tokens > 0;
    if (ok) b.tokens--;
    remember(this.#buckets, namespace, b, l.maxKeys);
    return ok;
  }

  /** Upstream names events <object>.<time in hex nanoseconds>; a sequence keeps names unique within a millisecond. */
  #suffix(now: number): string {
    this.#seq = (this.#seq + 1) % 1_000_000;
    return (BigInt(now) * 1_000_000n + BigInt(this.#seq)).toString(16);
  }

  /** Writes still running (tests). */
  get pending(): number {
    return this.#pending;
  }
}

/** Map as a bounded LRU: the entry goes to the end; past `max` the oldest is forgotten. */
function remember<V>(m: Map<string, V>, k: string, v: V, max: number): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > max) m.delete(m.keys().next().value as string);
}
