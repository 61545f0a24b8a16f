/**
 * The rules shared by Update and Apply for moving ownership (upstream's Updater.update and
 * stripMetaManager): fields that change leave the managers that owned them, server-owned
 * metadata is never owned, and reset fields (status on the main resource, spec on /status)
 * are not tracked at all.
 */
import type { Comparison } from './compare.ts';
import { applyConflict, type Conflict } from './conflict.ts';
import {
  difference,
  emptySet,
  insertPath,
  intersection,
  isEmpty,
  recursiveDifference,
  setPaths,
  subtractInPlace,
  union,
  type FieldSet,
} from './field-set.ts';
import type { Managers } from './managed-fields.ts';
import { fieldPE } from './path-element.ts';

/** stripMetaManager's set: removed (exactly, not below) from the writing manager's fields. */
const STRIPPED: readonly string[][] = [
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'selfLink'],
  ['metadata', 'uid'],
  ['metadata', 'clusterName'],
  ['metadata', 'generation'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
];

function pathsSet(paths: readonly (readonly string[])[]): FieldSet {
  const s = emptySet();
  for (const p of paths) insertPath(s, p.map(fieldPE));
  return s;
}

const STRIP_SET = pathsSet(STRIPPED);

export function stripMeta(set: FieldSet): FieldSet {
  return difference(set, STRIP_SET);
}

/**
 * withoutReset(stripMeta(set)) in place, for a set only the caller holds (a write's changes
 * gathered straight from the comparison): no copies of the whole set.
 */
export function stripMetaAndResetInPlace(set: FieldSet, reset: FieldSet): FieldSet {
  subtractInPlace(set, reset, true);
  subtractInPlace(set, STRIP_SET, false);
  return set;
}

/** Few distinct reset lists exist (one per endpoint kind); a bound keeps odd callers from growing it. */
const resetSets = new Map<string, FieldSet>();
const MAX_RESET_SETS = 64;

/** Reset fields as dotted paths ("status", "metadata.labels"); they and all below are ignored. */
export function resetFieldSet(resetFields: readonly string[] | undefined): FieldSet {
  const id = JSON.stringify(resetFields ?? []);
  let set = resetSets.get(id);
  if (!set) {
    set = pathsSet((resetFields ?? []).map((f) => f.split('.')));
    if (resetSets.size < MAX_RESET_SETS) resetSets.set(id, set);
  }
  return set;
}

/**
 * The set without the reset fields. When none of them is in it (a status write's changes never
 * reach spec, a main-resource write's mostly not status) it is the set itself, not a copy: its
 * callers build it fresh and only read what comes back.
 */
export function withoutReset(set: FieldSet, reset: FieldSet): FieldSet {
  for (const m of reset.members) if (set.members.has(m) || set.children.has(m)) return recursiveDifference(set, reset);
  for (const k of reset.children.keys()) if (set.children.has(k)) return recursiveDifference(set, reset);
  return set;
}

export function filterComparison(c: Comparison, reset: FieldSet): Comparison {
  return {
    added: withoutReset(c.added, reset),
    modified: withoutReset(c.modified, reset),
    removed: withoutReset(c.removed, reset),
  };
}

/**
 * Every manager but `self` loses the fields that were modified, added or removed. Without
 * force, losing a modified or added field is a conflict and nothing changes.
 */
export function takeFromOthers(managers: Managers, self: string, c: Comparison, force: boolean): Managers {
  const changed = union(c.modified, c.added);
  const conflicts: Conflict[] = [];
  const out: Managers = new Map();
  for (const [id, m] of managers) {
    if (id === self) {
      out.set(id, m);
      continue;
    }
    const lost = intersection(m.set, changed);
    for (const path of setPaths(lost)) conflicts.push({ id, manager: m, path });
    // A manager that loses nothing keeps its set as it is (so its stored encoding is reused).
    if (isEmpty(lost) && isEmpty(intersection(m.set, c.removed))) {
      out.set(id, m);
      continue;
    }
    const set = difference(difference(m.set, lost), c.removed);
    if (!isEmpty(set)) out.set(id, { ...m, set });
  }
  if (!force && conflicts.length > 0) {
    conflicts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    throw applyConflict(conflicts);
  }
  return out;
}
