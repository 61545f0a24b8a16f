/**
 * The worker loop of a level-triggered controller (client-go's processNextWorkItem): workers take
 * keys from the work queue, a successful sync forgets the key's backoff, a failed one re-adds it
 * rate-limited; one key is never synced by two workers at once (the queue guarantees it).
 */
import type { ApiClient, Controller, Informer, InformerFactory, K8sObject, WorkQueue } from '../client/types.ts';
import type { Timers } from '../client/timers.ts';
import { isConflict } from '../client/errors.ts';

export interface ControllerLog {
  error(obj: unknown, msg?: string): void;
  /** A failed sync the retry resolves by itself: a write that lost an optimistic-concurrency race. */
  info?(obj: unknown, msg?: string): void;
}

/** What the controller manager hands every workload controller. */
export interface WorkloadControllerDeps {
  /** The controller's own client (its identity, its RBAC). */
  client: ApiClient;
  informers: InformerFactory;
  /** A queue of its own, keyed ns/name. */
  queue: WorkQueue;
  log: ControllerLog;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** Uniform in [0, 1) (default Math.random): event name suffixes. */
  random?: () => number;
  /** For periodic work such as resyncs (default: real timers). */
  timers?: Timers;
}

/** Event names: `<object>.<random hex>` (upstream uses the time in hex nanoseconds). */
export const eventSuffix = (random: () => number) => (): string => Math.floor(random() * 2 ** 48).toString(16);

export interface QueueControllerOptions {
  name: string;
  queue: WorkQueue;
  /** Informers whose first list must be in before any sync reads the cache. */
  waitFor: readonly Informer<K8sObject>[];
  sync(key: string): Promise<void>;
  log: ControllerLog;
}

export function newQueueController(o: QueueControllerOptions): Controller {
  const loops: Promise<void>[] = [];
  let stopped = false;
  const worker = async (): Promise<void> => {
    try {
      await Promise.all(o.waitFor.map((i) => i.synced()));
    } catch {
      return;
    }
    for (;;) {
      const key = await o.queue.get();
      if (key === undefined || stopped) return;
      try {
        await o.sync(key);
        o.queue.forget(key);
      } catch (err) {
        // A Conflict is a write that lost a race with another writer (the retry reads afresh):
        // not an error to report, as upstream's controllers log a retried sync at V(2).
        const log = isConflict(err) && o.log.info ? o.log.info.bind(o.log) : o.log.error.bind(o.log);
        log({ err, key }, `${o.name}: sync of ${key} failed; retrying with backoff`);
        o.queue.addRateLimited(key);
      } finally {
        o.queue.done(key);
      }
    }
  };
  return {
    name: o.name,
    run(workers) {
      for (let i = 0; i < Math.max(1, workers); i++) loops.push(worker());
    },
    async stop() {
      stopped = true;
      o.queue.shutDown();
      await Promise.all(loops);
    },
  };
}
