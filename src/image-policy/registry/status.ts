/**
 * Registry answers to reason codes, and the deadline of one lookup. A registry that does not
 * answer, answers 5xx or 429 is unavailable (fail closed: the caller denies); 404 and a refused
 * pull are IMAGE_NOT_FOUND, with the registry's own error code and message when it sent them.
 */
import { ImagePolicyError } from '../errors.ts';
import { referenceName, type ImageReference } from '../reference.ts';
import { readCapped, type HttpResponse } from './http.ts';

export function repoOf(ref: ImageReference): string {
  return referenceName({ domain: ref.domain, path: ref.path });
}

async function registryErrors(res: HttpResponse, signal: AbortSignal, cap: number): Promise<string> {
  try {
    const body = await readCapped(res, cap, 'error body', signal);
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = parsed.errors?.[0];
    if (first && typeof first.code === 'string') return `${first.code.toLowerCase().replace(/_/g, ' ')}${typeof first.message === 'string' && first.message ? `: ${first.message}` : ''}`;
  } catch {
    // No usable error document: the status says enough.
  }
  return '';
}

/** Throws the reason-coded error for an answer whose status is not one of `ok`. */
export async function checkStatus(res: HttpResponse, ok: readonly number[], what: string, signal: AbortSignal, cap: number, access: 'pull' | 'push' = 'pull'): Promise<void> {
  if (ok.includes(res.status)) return;
  const detail = await registryErrors(res, signal, cap);
  const suffix = detail ? `: ${detail}` : '';
  if (res.status === 404) throw new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: not found${suffix}`);
  if (res.status === 401 || res.status === 403) {
    // Docker's words: registries answer 401 both for a private and for a missing repository.
    throw new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: ${access} access denied, repository does not exist or may require authorization${suffix}`);
  }
  throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `${what}: unexpected status ${res.status}${suffix}`);
}

/**
 * Runs `fn` with a signal that aborts after `ms` (or with the caller's signal); a lookup still
 * running then fails REGISTRY_UNAVAILABLE at once, even if something inside ignores the signal.
 */
export async function withDeadline<T>(ms: number, outer: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const expired = new ImagePolicyError('REGISTRY_UNAVAILABLE', `context deadline exceeded (${ms} ms)`);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctl.abort(expired);
      reject(expired);
    }, ms);
    if (outer) {
      const onAbort = () => {
        ctl.abort(outer.reason);
        reject(new ImagePolicyError('REGISTRY_UNAVAILABLE', `lookup cancelled: ${String((outer.reason as Error | undefined)?.message ?? outer.reason)}`));
      };
      if (outer.aborted) onAbort();
      else outer.addEventListener('abort', onAbort, { once: true });
    }
  });
  deadline.catch(() => undefined);
  try {
    return await Promise.race([fn(ctl.signal), deadline]);
  } catch (err) {
    // Whatever the failed lookup still has open is dropped.
    ctl.abort(err);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
