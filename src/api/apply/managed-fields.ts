/**
 * metadata.managedFields on the wire (ManagedFieldsEntry) and in memory (one field set per
 * manager identity), as upstream's managedfields/internal managedfields.go and
 * manager identifiers.
 */
import { emptySet, fromFieldsV1, FieldsV1Error, isEmpty, toFieldsV1, type FieldSet, type FieldsV1 } from './field-set.ts';

export type Operation = 'Apply' | 'Update';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldsV1;
  subresource?: string;
}

export interface ManagerState {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource: string;
  time?: string;
  set: FieldSet;
}

/** Keyed by managerIdentity(). */
export type Managers = Map<string, ManagerState>;

/**
 * BuildManagerIdentifier: the entry without fields and time, and without apiVersion for
 * appliers (an applier keeps one entry whatever version it applies), as Go marshals it.
 */
export function managerIdentity(m: Pick<ManagerState, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const id: Record<string, string> = {};
  if (m.manager) id.manager = m.manager;
  id.operation = m.operation;
  if (m.operation === 'Update' && m.apiVersion) id.apiVersion = m.apiVersion;
  if (m.subresource) id.subresource = m.subresource;
  return JSON.stringify(id);
}

/** printManager: how conflict messages name a manager. */
export function describeManager(m: Pick<ManagerState, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  // The identifier never carries a time, so upstream's "at <time>" form does not occur.
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

export class ManagedFieldsError extends Error {}

/** Setting managedFields to a single empty entry ([{}]) is how clients clear them. */
export function isResetManagedFields(raw: unknown): boolean {
  return (
    Array.isArray(raw) &&
    raw.length === 1 &&
    raw[0] !== null &&
    typeof raw[0] === 'object' &&
    Object.keys(raw[0] as object).length === 0
  );
}

/**
 * The stored FieldsV1 each set decoded from a stored object came from. This server wrote that
 * text with toFieldsV1, so an entry whose set a write leaves as it was (the same object) is
 * written back as it was read instead of being encoded again (most of the encode's cost on an
 * update: every manager but the writer usually keeps its set).
 */
const storedEncoding = new WeakMap<FieldSet, FieldsV1>();

/**
 * Sets decoded from stored FieldsV1, by the FieldsV1's JSON text. Managers write the same fields
 * object after object (every pod of a template, every status write of a kubelet), so the text
 * repeats and its decode (canonicalising every key) need not. A cached set is shared between
 * requests: like every decoded set it is only read, never changed in place (the set operations
 * return new sets; the in-place ones are used only on sets their caller built). Bounded in
 * entries and in the size of the text kept.
 */
const decodedStored = new Map<string, FieldSet>();
const DECODED_MAX_ENTRIES = 512;
const DECODED_MAX_TEXT = 16 * 1024;

function decodeStoredSet(fieldsV1: unknown): FieldSet {
  const text = JSON.stringify(fieldsV1);
  if (text.length > DECODED_MAX_TEXT) return fromFieldsV1(fieldsV1);
  let set = decodedStored.get(text);
  if (set) return set;
  set = fromFieldsV1(fieldsV1);
  // Insertion order is age: past the bound the oldest goes.
  if (decodedStored.size >= DECODED_MAX_ENTRIES) decodedStored.delete(decodedStored.keys().next().value!);
  decodedStored.set(text, set);
  return set;
}

/** `stored`: raw comes from a stored object (canonical), not from a client's request. */
export function decodeManagedFields(raw: unknown, opts: { stored?: boolean } = {}): Managers {
  const managers: Managers = new Map();
  if (raw === undefined || raw === null) return managers;
  if (!Array.isArray(raw)) throw new ManagedFieldsError('managedFields must be a list');
  raw.forEach((e: ManagedFieldsEntry, i) => {
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new ManagedFieldsError('apiVersion must not be empty');
    if (!e.fieldsType) throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') {
      throw new ManagedFieldsError(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    }
    let set: FieldSet;
    try {
      set = e.fieldsV1 === undefined || e.fieldsV1 === null ? emptySet() : opts.stored ? decodeStoredSet(e.fieldsV1) : fromFieldsV1(e.fieldsV1);
    } catch (err) {
      if (err instanceof FieldsV1Error) throw new ManagedFieldsError(`error decoding versioned set: ${err.message}`);
      throw err;
    }
    if (opts.stored && e.fieldsV1) storedEncoding.set(set, e.fieldsV1);
    const state: ManagerState = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion,
      subresource: e.subresource ?? '',
      set,
    };
    if (e.time !== undefined && e.time !== null) state.time = e.time;
    managers.set(managerIdentity(state), state);
  });
  return managers;
}

export function timeSeconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function compareEntries(p: ManagerState, q: ManagerState): number {
  if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
  const ps = timeSeconds(p.time);
  const qs = timeSeconds(q.time);
  if (ps !== qs) return ps - qs;
  for (const k of ['manager', 'apiVersion', 'subresource'] as const) {
    if (p[k] !== q[k]) return p[k] < q[k] ? -1 : 1;
  }
  return 0;
}

/** Encode for metadata.managedFields, sorted as upstream: operation, time, manager, version, subresource. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  return [...managers.values()]
    .filter((m) => !isEmpty(m.set))
    .sort(compareEntries)
    .map((m) => {
      // Key order follows the Go struct, so the JSON reads like upstream's.
      const e: ManagedFieldsEntry = {};
      if (m.manager) e.manager = m.manager;
      e.operation = m.operation;
      e.apiVersion = m.apiVersion;
      if (m.time !== undefined) e.time = m.time;
      e.fieldsType = 'FieldsV1';
      e.fieldsV1 = storedEncoding.get(m.set) ?? toFieldsV1(m.set);
      if (m.subresource) e.subresource = m.subresource;
      return e;
    });
}
