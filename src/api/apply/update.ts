/**
 * managedFields for create, update and non-apply patch (upstream's FieldManager.Update behind
 * managedFieldsUpdater): the writing manager takes the fields its write changed, every other
 * manager loses them.
 */
import type { Schema } from '../schema/types.ts';
import { capUpdateManagers } from './cap-managers.ts';
import { compareInto, compareObjects, type Comparison } from './compare.ts';
import { emptySet, equalSets, isEmpty, isSubset, union, type FieldSet } from './field-set.ts';
import {
  decodeManagedFields,
  encodeManagedFields,
  isResetManagedFields,
  ManagedFieldsError,
  managerIdentity,
  type ManagedFieldsEntry,
  type Managers,
  type ManagerState,
} from './managed-fields.ts';
import { apiVersionOf, rawManagedFields, viewWithoutManagedFields } from './object-meta.ts';
import { filterComparison, resetFieldSet, stripMeta, stripMetaAndResetInPlace, takeFromOthers, withoutReset } from './ownership.ts';
import { rootRef, TypedValueError } from './shape.ts';
import { jsonEqual } from '../json-equal.ts';
import { includeComparison, includeMatches, type IncludeMatcher } from './include-filter.ts';

export type Subresource = '' | 'status' | 'scale' | 'ephemeralcontainers' | 'resize';

export interface UpdateOptions {
  /** Top-level (or dotted) fields this endpoint resets and so never tracks, e.g. ["status"]. */
  resetFields?: readonly string[];
  /** The version the entry records; defaults to newObj.apiVersion. */
  apiVersion?: string;
}

/**
 * The managed fields newObj should be stored with. An empty result means "omit the field".
 * Managed fields the client sent in newObj replace the stored ones (that is how clients edit
 * them) unless they are empty or undecodable; subresources always start from the stored ones.
 */
export function updateManagedFields(
  schema: Schema | undefined,
  typeName: string | undefined,
  oldObj: object | undefined,
  newObj: object,
  manager: string,
  operation: 'Update',
  subresource: Subresource,
  time: string,
  opts: UpdateOptions = {},
): ManagedFieldsEntry[] {
  const sent = rawManagedFields(newObj);
  if (subresource === '' && isResetManagedFields(sent)) return [];
  try {
    const managers = decodeLiveOrNew(oldObj, sent, subresource !== '');
    const next = recordUpdate(schema, typeName, oldObj, newObj, managers, {
      manager,
      operation,
      subresource,
      apiVersion: opts.apiVersion ?? apiVersionOf(newObj),
      time,
      resetFields: opts.resetFields,
    });
    return encodeManagedFields(capUpdateManagers(next));
  } catch (e) {
    // As UpdateNoErrors: a write never fails over bookkeeping; the entries are dropped instead
    // of keeping ones that no longer describe the object.
    if (e instanceof TypedValueError || e instanceof ManagedFieldsError) return [];
    throw e;
  }
}

function decodeLiveOrNew(oldObj: object | undefined, sent: unknown, ignoreNew: boolean): Managers {
  const stored = rawManagedFields(oldObj);
  // A client sending back what it read (kubectl replace, a controller's PUT) keeps the stored entries.
  if (!ignoreNew && stored !== undefined && jsonEqual(sent, stored)) ignoreNew = true;
  if (!ignoreNew) {
    try {
      const fromNew = decodeManagedFields(sent);
      if (fromNew.size > 0) return fromNew;
    } catch (e) {
      if (!(e instanceof ManagedFieldsError)) throw e;
    }
  }
  return decodeManagedFields(stored, { stored: true });
}

export interface RecordUpdate {
  manager: string;
  operation: 'Update';
  subresource: Subresource;
  apiVersion: string;
  time: string;
  resetFields?: readonly string[] | undefined;
  /** A subresource's resetFieldsFilter (before-first-apply under an Apply through it): only what it matches is taken. */
  include?: IncludeMatcher | undefined;
}

/** The core of an Update, also used for "before-first-apply". */
export function recordUpdate(
  schema: Schema | undefined,
  typeName: string | undefined,
  oldObj: object | undefined,
  newObj: object,
  managers: Managers,
  u: RecordUpdate,
  /** Tests: skip the repeat-write shortcut (soleOwnerRewrite), to compare it with the general path. */
  general = false,
): Managers {
  const ref = rootRef(schema, typeName);
  const reset = resetFieldSet(u.resetFields);
  // A create compares against an empty object, as upstream compares against a new zero value.
  const lhs = viewWithoutManagedFields(oldObj ?? {});
  const rhs = viewWithoutManagedFields(newObj);
  let out: Managers;
  let taken: FieldSet;
  if (managers.size === 0) {
    // Nobody to take fields from (every create without managedFields): all that matters is
    // what was added or modified, gathered straight into one set.
    const changed = emptySet();
    compareInto(schema, ref, lhs, rhs, { added: changed, modified: changed, removed: emptySet() });
    taken = stripMetaAndResetInPlace(changed, reset);
    if (u.include) taken = includeMatches(taken, u.include);
    out = new Map();
  } else {
    const comparison = includeComparison(filterComparison(compareObjects(schema, ref, lhs, rhs), reset), u.include);
    if (!u.include && !general) {
      const repeat = soleOwnerRewrite(managers, comparison, u);
      if (repeat) return repeat;
    }
    // The write is first recorded under a temporary identity, so the manager's own earlier
    // entry loses what changed like everyone else's; then the two are joined.
    out = takeFromOthers(managers, '', comparison, true);
    taken = stripMeta(withoutReset(union(comparison.modified, comparison.added), reset));
  }
  if (isEmpty(taken)) return out;
  const state = writerState(u, taken);
  const id = managerIdentity(state);
  const previous = out.get(id);
  if (previous) state.set = union(taken, previous.set);
  // A manager writing fields it already owns (a Lease renewal, a repeated status write) ends with
  // the set it had: keep that one, and so its stored encoding.
  const before = managers.get(id);
  if (before && equalSets(state.set, before.set)) state.set = before.set;
  out.set(id, state);
  return out;
}

function writerState(u: RecordUpdate, set: FieldSet): ManagerState {
  return { manager: u.manager, operation: u.operation, apiVersion: u.apiVersion, subresource: u.subresource, time: u.time, set };
}

/** Paths stripMeta takes out of a writer's set, or below them: a comparison touching one takes the general path. */
const STRIPPED_ROOTS = ['f:apiVersion', 'f:kind', 'f:metadata'];

/**
 * The usual repeat write (a node renewing its Lease, a controller rewriting what it alone
 * wrote): the writer is the only manager and the write changed nothing but leaves it already
 * owns (nothing added or removed, nothing in metadata). The general path then ends with the
 * writer's set as it was (the same object, so its stored encoding), under this write's time, or
 * with the managers as they were when nothing changed; this gives the same without the set
 * algebra (takeFromOthers, the unions and differences, stripMeta, equalSets), which made most
 * of a Lease renewal's managedFields garbage. Anything else: undefined, the general path.
 */
export function soleOwnerRewrite(managers: Managers, c: Comparison, u: RecordUpdate): Managers | undefined {
  if (managers.size !== 1) return undefined;
  const state = writerState(u, c.modified);
  const id = managerIdentity(state);
  const own = managers.get(id);
  if (!own || !isEmpty(c.added) || !isEmpty(c.removed)) return undefined;
  const m = c.modified;
  for (const k of STRIPPED_ROOTS) if (m.members.has(k) || m.children.has(k)) return undefined;
  if (!isSubset(m, own.set)) return undefined;
  if (isEmpty(m)) return new Map([[id, own]]);
  state.set = own.set;
  return new Map([[id, state]]);
}
