/**
 * The precondition of one write against the key's current row, as a pure function: the group
 * commit checks every write of a batch before applying it, so a failed precondition rejects that
 * write alone and leaves the others of the batch untouched (no savepoints needed).
 */
import { StorageError } from './types.ts';

/** etcd's default --max-request-bytes (1.5 MiB), the most one stored object may take. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** What etcd answers a put over its --max-request-bytes, and kube-apiserver passes on as the message. */
export const REQUEST_TOO_LARGE = 'etcdserver: request is too large';

/** A write refused for its size, whichever backend stores it (see checkValueSize). */
export class RequestTooLargeError extends StorageError {
  constructor(key: string) {
    super('Internal', REQUEST_TOO_LARGE, { key });
    this.name = 'RequestTooLargeError';
  }
}

/**
 * The size bound of one stored object, checked on the serialised value where every write (REST
 * create, update, every patch type, apply, subresources, controllers) meets the store: etcd's
 * default limit of 1.5 MiB per request (key and value), so an object either backend accepts
 * could also be stored in etcd, and no decoder trick (YAML aliases, protobuf) can make a small
 * request store a large object.
 */
export function checkValueSize(key: string, text: string, limit = MAX_OBJECT_BYTES): StorageError | undefined {
  // Cheap first: a UTF-16 length within a third of the limit cannot exceed it in UTF-8.
  if (text.length * 3 + key.length * 3 <= limit) return undefined;
  return Buffer.byteLength(text, 'utf8') + Buffer.byteLength(key, 'utf8') > limit ? new RequestTooLargeError(key) : undefined;
}

export type WriteKind = 'create' | 'update' | 'delete';

export interface CurrentRow {
  /** modRevision of the live row. */
  revision: number;
}

export function checkWrite(
  kind: WriteKind,
  key: string,
  current: CurrentRow | undefined,
  expectedRevision: number | undefined,
): StorageError | undefined {
  if (kind === 'create') {
    return current ? new StorageError('KeyExists', `key ${JSON.stringify(key)} already exists`, { key }) : undefined;
  }
  if (!current) return new StorageError('NotFound', `key ${JSON.stringify(key)} not found`, { key });
  if (expectedRevision !== undefined && expectedRevision !== current.revision) {
    return new StorageError(
      'Conflict',
      `key ${JSON.stringify(key)} is at revision ${current.revision}, not ${expectedRevision}`,
      { key, revision: current.revision },
    );
  }
  return undefined;
}
