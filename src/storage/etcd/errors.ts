/**
 * etcd's answers as the store's typed errors. The client (etcd-kv-client.ts) turns a gRPC status
 * into an error carrying etcd's message ("etcdserver: mvcc: required revision has been compacted"),
 * so the mapping is by those messages, which etcd keeps stable (rpctypes in etcd's api).
 */
import { StorageError } from '../types.ts';
import { REQUEST_TOO_LARGE, RequestTooLargeError } from '../write-check.ts';

export interface RevisionsKnown {
  current: number;
  compacted: number;
}

export const COMPACTED_MESSAGE = 'required revision has been compacted';
const FUTURE_MESSAGE = 'required revision is a future revision';

export function isClientClosed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ClientClosedError';
}

/** Map an error from an etcd call; `what` says what was being done, `requested` the revision asked for. */
export function toStorageError(err: unknown, what: string, known: RevisionsKnown, opts: { key?: string; requested?: number } = {}): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isClientClosed(err)) return new StorageError('Closed', 'storage is closed');
  if (message.includes(COMPACTED_MESSAGE)) {
    return new StorageError('Compacted', `${what}: ${COMPACTED_MESSAGE}`, { key: opts.key, revision: known.compacted });
  }
  if (message.includes(FUTURE_MESSAGE)) {
    return new StorageError('FutureRevision', `${what}: revision ${opts.requested} is newer than the current revision ${known.current}`, {
      revision: known.current,
      requestedRevision: opts.requested,
    });
  }
  if (message.includes(REQUEST_TOO_LARGE)) return new RequestTooLargeError(opts.key ?? '');
  const out = new StorageError('Internal', `${what}: ${message}`, { key: opts.key });
  out.cause = err;
  return out;
}
