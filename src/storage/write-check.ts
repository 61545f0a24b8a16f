/**
 * The precondition of one write against the key's current row, as a pure function: the group
 * commit checks every write of a batch before applying it, so a failed precondition rejects that
 * write alone and leaves the others of the batch untouched (no savepoints needed).
 */
import { StorageError } from './types.ts';

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
