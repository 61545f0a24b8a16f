/**
 * client-go's k8s.io/client-go/util/retry: run a read-modify-write again when it met a Conflict,
 * over a wait.Backoff. `fn` runs at most `steps` times; between runs it sleeps the backoff's step
 * (duration, then duration·factor…, each stretched by up to `jitter` of itself at random). An error
 * the predicate does not accept, or the last accepted one once the steps are spent, is thrown as
 * it is, so callers still see the API's Status.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isConflict } from './errors.ts';

/** wait.Backoff without Cap (no caller here needs one). */
export interface Backoff {
  readonly steps: number;
  readonly durationMs: number;
  /** The duration is multiplied by this after each step (0 or 1: constant). */
  readonly factor: number;
  readonly jitter: number;
}

/** retry.DefaultRetry: for a conflict with a client that may be changing the same object. */
export const DEFAULT_RETRY: Backoff = Object.freeze({ steps: 5, durationMs: 10, factor: 1.0, jitter: 0.1 });

/** retry.DefaultBackoff: for a conflict with controllers that actively manage the object. */
export const DEFAULT_BACKOFF: Backoff = Object.freeze({ steps: 4, durationMs: 10, factor: 5.0, jitter: 0.1 });

export interface RetryDeps {
  /** Real time by default (a held-up write waits as client-go's time.Sleep does); tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** retry.OnError: `fn(attempt)` (1-based) until it succeeds, `retriable` refuses its error, or the steps run out. */
export async function retryOnError<T>(backoff: Backoff, retriable: (err: unknown) => boolean, fn: (attempt: number) => Promise<T>, deps: RetryDeps = {}): Promise<T> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const random = deps.random ?? Math.random;
  let duration = backoff.durationMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= backoff.steps || !retriable(err)) throw err;
    }
    // wait.Backoff.Step: this step's duration, jittered; the next one grown by the factor.
    let wait = duration;
    if (backoff.factor !== 0) duration *= backoff.factor;
    if (backoff.jitter > 0) wait += random() * backoff.jitter * wait;
    if (wait > 0) await sleep(wait);
  }
}

/** retry.RetryOnConflict: retryOnError for 409 Conflict only. */
export function retryOnConflict<T>(backoff: Backoff, fn: (attempt: number) => Promise<T>, deps?: RetryDeps): Promise<T> {
  return retryOnError(backoff, isConflict, fn, deps);
}
