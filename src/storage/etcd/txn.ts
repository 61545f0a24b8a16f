/**
 * The pieces of the store's one-key transactions: the compares (kube-apiserver's etcd3 store
 * guards a create with create_revision == 0 and an update or delete with mod_revision ==
 * the expected revision), the value's bytes, and the error a failed compare means.
 */
import { CompareResult, CompareTarget, int } from './etcd-proto.ts';
import type { Compare, KeyValue } from './etcd-proto.ts';
import { StorageError } from '../types.ts';
import { checkValueSize } from '../write-check.ts';

/** The key does not exist (create). */
export function absent(k: Buffer): Compare[] {
  return [{ key: k, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }];
}

/** The key exists and, when a revision is expected, is at that revision (update, delete). */
export function atRevision(k: Buffer, expectedRevision: number | undefined): Compare[] {
  const exists: Compare = { key: k, target: CompareTarget.Create, result: CompareResult.Greater, create_revision: 0 };
  if (expectedRevision === undefined) return [exists];
  return [exists, { key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: expectedRevision }];
}

/** Why an update or delete's compare failed, from the key as the failure branch read it. */
export function preconditionFailed(key: string, current: KeyValue | undefined, expected: number | undefined): StorageError {
  if (!current) return new StorageError('NotFound', `key ${JSON.stringify(key)} not found`, { key });
  const at = int(current.mod_revision);
  return new StorageError('Conflict', `key ${JSON.stringify(key)} is at revision ${at}, not ${expected}`, { key, revision: at });
}

/** The stored bytes of a value: its JSON, within the size every store enforces (write-check.ts). */
export function encodeValue(key: string, value: unknown): Buffer {
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw new StorageError('Internal', 'value is not JSON-serialisable', { key });
  const tooLarge = checkValueSize(key, text);
  if (tooLarge) throw tooLarge;
  return Buffer.from(text, 'utf8');
}
