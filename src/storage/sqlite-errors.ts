/**
 * SQLite failures as StorageErrors. A damaged file must read as what it is, "database corrupt",
 * not as whatever parser or statement tripped over it first.
 */
import { StorageError } from './types.ts';

const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CORRUPT_CODES.has(code);
}

/** `context` says what was being done ("commit failed", "reading /registry/..."). */
export function toStorageError(err: unknown, context: string): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isCorruption(err)) return new StorageError('Internal', `database corrupt: ${context}: ${message}`);
  return new StorageError('Internal', `${context}: ${message}`);
}

/** A stored value that does not parse is corruption of that key, and says which key. */
export function decodeStored<T>(key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StorageError('Internal', `database corrupt: cannot decode value at ${key}`, { key });
  }
}
