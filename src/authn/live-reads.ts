/**
 * Reads of live objects for authentication (service account tokens' bound objects, bootstrap
 * token Secrets), answered at once when the store can (the watch cache, once primed) and through
 * its promise otherwise: the checks are written once, as a generator that yields the keys it needs
 * and is given each object (undefined: none), and readLive runs it either way.
 */
import type { MaybePromise } from './types.ts';

/** The Store's get, or anything shaped like it. */
export type ObjectGetter = (key: string) => Promise<{ value: unknown } | undefined>;

/**
 * The Store's getNow: what get() would answer, when memory can answer it without waiting; null
 * when there is no such object, undefined when only get() can tell.
 */
export type ObjectGetterNow = (key: string) => { value: unknown } | null | undefined;

/** Checks that read objects by key: yield a key, receive its object's value (undefined: none). */
export type LiveReads<T> = Generator<string, T, unknown>;

/**
 * Runs `reads` to its answer: at once while `getNow` answers each read, from the first it cannot
 * answer on through `get`. The reads happen in the same order either way, and whatever the
 * checks or the getters throw comes out as it does from an awaited get (thrown at once, or the
 * promise rejected after a read that had to wait).
 */
export function readLive<T>(reads: LiveReads<T>, get: ObjectGetter, getNow: ObjectGetterNow | undefined): MaybePromise<T> {
  let step = reads.next();
  while (!step.done) {
    const o = getNow?.(step.value);
    if (o === undefined) return waitFor(reads, step.value, get);
    step = reads.next(o === null ? undefined : o.value);
  }
  return step.value;
}

async function waitFor<T>(reads: LiveReads<T>, key: string, get: ObjectGetter): Promise<T> {
  for (;;) {
    const o = await get(key);
    const step = reads.next(o ? o.value : undefined);
    if (step.done) return step.value;
    key = step.value;
  }
}
