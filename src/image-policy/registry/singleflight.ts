/**
 * Concurrent calls with the same key share one execution (Go's singleflight): admission of a
 * Deployment's pods, or pulls of one image by several pods, make one registry round trip. Only
 * calls in flight are held, so the map is bounded by the concurrency, not by history.
 */
import { ImagePolicyError } from '../errors.ts';

export class SingleFlight<V> {
  private readonly inFlight = new Map<string, Promise<V>>();

  do(key: string, fn: () => Promise<V>): Promise<V> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const p = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  get size(): number {
    return this.inFlight.size;
  }
}

/** One caller's wait on a shared promise, which its own signal ends (REGISTRY_UNAVAILABLE). */
export function abandonable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  const cancelled = () => new ImagePolicyError('REGISTRY_UNAVAILABLE', `lookup cancelled: ${String((signal.reason as Error | undefined)?.message ?? signal.reason)}`);
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const ids = new WeakMap<object, number>();
let nextId = 1;

/** A number per object, for keys that must tell objects apart by identity (keyrings). */
export function identityKey(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}
