/**
 * Server-side apply (upstream's FieldManager.Apply over structured-merge-diff's Updater.Apply):
 * merge the applied configuration into the live object, drop what this manager applied before
 * but no longer applies (unless someone else owns it), and move ownership, refusing with a 409
 * when other managers' fields would change and the request does not force.
 */
import { ApiError, badRequest } from '../errors.ts';
import type { Schema } from '../schema/types.ts';
import { capUpdateManagers } from './cap-managers.ts';
import { compareObjects } from './compare.ts';
import { jsonEqual } from '../json-equal.ts';
import { difference, emptySet, isEmpty, union, type FieldSet } from './field-set.ts';
import {
  decodeManagedFields,
  encodeManagedFields,
  ManagedFieldsError,
  managerIdentity,
  type ManagedFieldsEntry,
  type Managers,
  type ManagerState,
} from './managed-fields.ts';
import { mergeObjects } from './merge.ts';
import { apiVersionOf, metadataOf, rawManagedFields, setManagedFields, withoutManagedFields, type KubeObject } from './object-meta.ts';
import { filterComparison, resetFieldSet, stripMeta, takeFromOthers, withoutReset } from './ownership.ts';
import { ensureNamedFieldsAreMembers, removeItems } from './remove-items.ts';
import { isPlainObject, rootRef, TypedValueError, type Ref } from './shape.ts';
import { toFieldSet } from './to-field-set.ts';
import { validateTyped } from './typed-validate.ts';
import { findTypeError } from '../schema/type-check.ts';
import { recordUpdate, type Subresource } from './update.ts';
import { includeComparison, includeMatches, type IncludeMatcher } from './include-filter.ts';
import { cloneJson } from '../patch/json-value.ts';

/** The manager that receives the fields of an object that predates managedFields. */
export const BEFORE_FIRST_APPLY_MANAGER = 'before-first-apply';

export interface ApplyOptions {
  /** Top-level (or dotted) fields this endpoint resets and so never tracks, e.g. ["status"]. */
  resetFields?: readonly string[];
  /** A subresource's resetFieldsFilter: only what it matches is owned and compared (pods/resize, pods/ephemeralcontainers). */
  include?: IncludeMatcher;
  subresource?: Subresource;
  /** The version the entry records; defaults to the applied configuration's apiVersion. */
  apiVersion?: string;
}

export interface ApplyResult {
  /** The object to store, with metadata.managedFields set (or omitted when empty). */
  object: KubeObject;
  managedFields: ManagedFieldsEntry[];
  /** False when the object, managedFields aside, is unchanged (then no entry gets a new time). */
  changed: boolean;
}

/** schema.GroupVersionKind's String(): the core group is empty, so "/v1, Kind=Pod". */
function gvkOf(obj: unknown): string {
  const apiVersion = apiVersionOf(obj);
  const kind = isPlainObject(obj) && typeof obj.kind === 'string' ? obj.kind : '';
  return `${apiVersion.includes('/') ? apiVersion : `/${apiVersion}`}, Kind=${kind}`;
}

/** objectGVKNN: "namespace/name; group/version, Kind=Kind". */
function describeObject(obj: unknown): string {
  const meta = metadataOf(obj) ?? {};
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  return `${ns}/${name}; ${gvkOf(obj)}`;
}

/** Errors that upstream returns as plain Go errors: a 500 carrying the message as is. */
function typedError(what: string, obj: unknown, e: unknown): ApiError {
  if (e instanceof TypedValueError) return new ApiError(500, 'InternalError', `failed to create typed ${what} object (${describeObject(obj)}): ${e.message}`);
  throw e;
}

/** A JSON null in an applied configuration of a built-in type means "unset" once decoded. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

export function serverSideApply(
  schema: Schema | undefined,
  typeName: string | undefined,
  live: object | undefined,
  applied: object,
  manager: string,
  force: boolean,
  time: string,
  opts: ApplyOptions = {},
): ApplyResult {
  const sent = rawManagedFields(applied);
  if (sent !== undefined && sent !== null) throw badRequest('metadata.managedFields must be nil');
  const subresource = opts.subresource ?? '';
  const ref = rootRef(schema, typeName);
  const reset = resetFieldSet(opts.resetFields);

  let managers: Managers;
  try {
    managers = decodeManagedFields(rawManagedFields(live), { stored: true });
  } catch (e) {
    if (e instanceof ManagedFieldsError) throw new ApiError(500, 'InternalError', `failed to decode managed fields: ${e.message}`);
    throw e;
  }
  const liveV = withoutManagedFields(live ?? {});
  if (live !== undefined && managers.size === 0) {
    // An object written before managedFields existed (or whose entries were cleared): its
    // current fields go to one Update manager first, so that applying over them conflicts.
    try {
      managers = recordUpdate(schema, typeName, {}, liveV, managers, {
        manager: BEFORE_FIRST_APPLY_MANAGER,
        operation: 'Update',
        subresource: '',
        apiVersion: apiVersionOf(live),
        time,
        resetFields: opts.resetFields,
        include: opts.include,
      });
    } catch (e) {
      throw typedError('live', live, e);
    }
  }

  const config = withoutManagedFields(applied);
  if (schema && typeName) {
    // typeConverter.ObjectToTyped(patchObj): a value of the wrong JSON type never reaches the merge.
    const err = validateTyped(schema, typeName, config);
    if (err !== undefined) throw new ApiError(500, 'InternalError', `failed to create typed patch object (${describeObject(applied)}): ${err}`);
  }
  let configSet: FieldSet;
  try {
    configSet = withoutReset(toFieldSet(schema, ref, config, { rejectDuplicates: true }), reset);
    if (opts.include) configSet = includeMatches(configSet, opts.include);
  } catch (e) {
    throw typedError('patch', applied, e);
  }

  const self: Omit<ManagerState, 'set'> = { manager, operation: 'Apply', apiVersion: opts.apiVersion ?? apiVersionOf(applied), subresource };
  const id = managerIdentity(self);
  const previous = managers.get(id);
  const withSelf: Managers = new Map(managers);
  withSelf.set(id, { ...self, ...(previous?.time !== undefined ? { time: previous.time } : {}), set: configSet });

  let merged: unknown;
  try {
    merged = mergeObjects(schema, ref, liveV, config);
    merged = prune(schema, ref, merged, withSelf, previous?.set);
  } catch (e) {
    throw typedError('live', live, e);
  }

  const comparison = includeComparison(filterComparison(compareObjects(schema, ref, liveV, merged), reset), opts.include);
  const next = takeFromOthers(withSelf, id, comparison, force);
  const changed = live === undefined || !jsonEqual(liveV, merged);
  if (changed && schema && typeName) checkConvertible(schema, typeName, merged, applied);
  const mine = next.get(id) as ManagerState;
  const stripped = stripMeta(mine.set);
  if (isEmpty(stripped)) next.delete(id);
  else next.set(id, { ...mine, set: stripped, ...(changed ? { time } : {}) });

  const managedFields = encodeManagedFields(capUpdateManagers(next));
  const base = changed ? (schema ? dropNulls(merged) : merged) : liveV;
  const object = setManagedFields(cloneJson(base) as KubeObject, managedFields);
  return { object, managedFields, changed };
}

/**
 * The merged object must decode into the Go type (toVersioned: FromUnstructured), which is
 * stricter than the typed value: an integer field holding 1.5, an IntOrString holding true, a
 * Quantity or Time that does not parse. Upstream checks this after conflicts, and only when the
 * apply changed the object.
 */
function checkConvertible(schema: Schema, typeName: string, merged: unknown, applied: object): void {
  const err = findTypeError(schema, typeName, merged, 'unstructured');
  if (err === undefined) return;
  throw new ApiError(
    500,
    'InternalError',
    `failed to convert new object (${describeObject(applied)}) to proper version: unable to convert unstructured object to ${gvkOf(merged)}: ${err}`,
  );
}

/**
 * Remove what the applier owned last time and owns no more, unless another manager (or the new
 * configuration) still owns it. Struct fields count as owned when anything below them is, so a
 * struct disappears only when nobody owns any part of it.
 */
function prune(schema: Schema | undefined, ref: Ref, merged: unknown, managers: Managers, last: FieldSet | undefined): unknown {
  if (!last || isEmpty(last)) return merged;
  let owned = emptySet();
  for (const m of managers.values()) owned = union(owned, m.set);
  const toRemove = difference(ensureNamedFieldsAreMembers(schema, ref, last), ensureNamedFieldsAreMembers(schema, ref, owned));
  return isEmpty(toRemove) ? merged : removeItems(schema, ref, merged, toRemove);
}
