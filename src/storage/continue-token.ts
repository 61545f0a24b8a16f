/**
 * Continue tokens for paginated lists, in the shape kube-apiserver uses
 * (base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"<key relative to the prefix>"}).
 *
 * The start key is stored relative to the list prefix, as upstream does, so a forged token can
 * never move a list outside the prefix it was asked for: the absolute start is always prefix+rel.
 */
import { StorageError } from './types.ts';

const VERSION = 'meta.k8s.io/v1';

export interface ContinuePosition {
  /** The revision the first page was read at; every page reads this snapshot. */
  revision: number;
  /** Absolute key to resume at (inclusive). */
  start: string;
}

/** Token for the page after `lastKey` (exclusive) of a list of `prefix` at `revision`. */
export function encodeContinue(prefix: string, revision: number, lastKey: string): string {
  // lastKey + "\0" is the smallest key after lastKey: the next page starts there, inclusive.
  const start = lastKey.slice(prefix.length) + '\u0000';
  return Buffer.from(JSON.stringify({ v: VERSION, rv: revision, start }), 'utf8').toString('base64url');
}

function invalid(why: string): StorageError {
  return new StorageError('InvalidContinue', `continue key is not valid: ${why}`);
}

export function decodeContinue(token: string, prefix: string): ContinuePosition {
  // Buffer.from(..., 'base64url') silently skips junk characters, so check the alphabet first.
  if (token.length === 0 || !/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw invalid('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid('not an object');
  const { v, rv, start } = parsed as Record<string, unknown>;
  if (v !== VERSION) throw invalid(`unsupported version ${JSON.stringify(v)}`);
  if (typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv <= 0) {
    throw invalid('incorrect encoded start resourceVersion');
  }
  if (typeof start !== 'string') throw invalid('missing start key');
  return { revision: rv, start: prefix + start };
}
