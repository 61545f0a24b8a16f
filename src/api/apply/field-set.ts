/**
 * Sets of field paths, as structured-merge-diff's fieldpath.Set: a trie whose nodes hold the
 * members (paths that end here) and the children (paths that continue). Elements are keyed by
 * their FieldsV1 serialisation (see path-element.ts). The set operations return new sets;
 * insertPath is the one builder that mutates.
 */
import {
  canonicalPE,
  comparePE,
  parsePE,
  PathElementSyntaxError,
  serializePE,
  type Path,
  type PathElement,
} from './path-element.ts';
import { exceedsDepth } from '../codecs/depth.ts';
import { EMPTY_OBJECT } from '../../storage/deep-freeze.ts';
import { MAX_NESTING_DEPTH } from '../codecs/limits.ts';

export interface FieldSet {
  members: Set<string>;
  children: Map<string, FieldSet>;
}

/** The FieldsV1 JSON object: {"f:metadata":{"f:labels":{".":{},"f:app":{}}}}. */
export type FieldsV1 = { [key: string]: FieldsV1 };

export function emptySet(): FieldSet {
  return { members: new Set(), children: new Map() };
}

export function insertPath(set: FieldSet, path: Path): void {
  insertKeys(set, path.map(serializePE));
}

/** insertPath for a path already serialised element by element. */
export function insertKeys(set: FieldSet, keys: readonly string[]): void {
  if (keys.length === 0) return;
  let node = set;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as string;
    let child = node.children.get(key);
    if (!child) {
      child = emptySet();
      node.children.set(key, child);
    }
    node = child;
  }
  node.members.add(keys[keys.length - 1] as string);
}

export function setFromPaths(paths: readonly Path[]): FieldSet {
  const s = emptySet();
  for (const p of paths) insertPath(s, p);
  return s;
}

export function hasPath(set: FieldSet, path: Path): boolean {
  if (path.length === 0) return false;
  let node: FieldSet | undefined = set;
  for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(serializePE(path[i] as PathElement));
  return node !== undefined && node.members.has(serializePE(path[path.length - 1] as PathElement));
}

export function isEmpty(set: FieldSet): boolean {
  if (set.members.size > 0) return false;
  for (const c of set.children.values()) if (!isEmpty(c)) return false;
  return true;
}

/** The sub-set below one element (Set.WithPrefix). */
export function childSet(set: FieldSet, peKey: string): FieldSet | undefined {
  return set.children.get(peKey);
}

function withChildren(members: Set<string>, children: Map<string, FieldSet>): FieldSet {
  for (const [k, c] of children) if (isEmpty(c)) children.delete(k);
  return { members, children };
}

export function union(a: FieldSet, b: FieldSet): FieldSet {
  const members = new Set([...a.members, ...b.members]);
  const children = new Map<string, FieldSet>();
  for (const [k, c] of a.children) {
    const other = b.children.get(k);
    children.set(k, other ? union(c, other) : copySet(c));
  }
  for (const [k, c] of b.children) if (!a.children.has(k)) children.set(k, copySet(c));
  return withChildren(members, children);
}

/** Set.Difference: members of a not in b; children compared child by child only. */
export function difference(a: FieldSet, b: FieldSet): FieldSet {
  const members = new Set([...a.members].filter((m) => !b.members.has(m)));
  const children = new Map<string, FieldSet>();
  for (const [k, c] of a.children) {
    const other = b.children.get(k);
    children.set(k, other ? difference(c, other) : copySet(c));
  }
  return withChildren(members, children);
}

/** Set.RecursiveDifference: as difference, but a member of b also removes everything below it. */
export function recursiveDifference(a: FieldSet, b: FieldSet): FieldSet {
  const members = new Set([...a.members].filter((m) => !b.members.has(m)));
  const children = new Map<string, FieldSet>();
  for (const [k, c] of a.children) {
    if (b.members.has(k)) continue;
    const other = b.children.get(k);
    children.set(k, other ? recursiveDifference(c, other) : copySet(c));
  }
  return withChildren(members, children);
}

/**
 * difference(a, b) (recursive: recursiveDifference) done in place, for a set its builder still
 * holds alone: the same result without copying a. (a built by insertPath has no empty nodes, so
 * pruning the nodes this empties is all the pruning the copying forms do.)
 */
export function subtractInPlace(a: FieldSet, b: FieldSet, recursive: boolean): void {
  for (const m of b.members) {
    a.members.delete(m);
    if (recursive) a.children.delete(m);
  }
  for (const [k, bc] of b.children) {
    const c = a.children.get(k);
    if (!c) continue;
    subtractInPlace(c, bc, recursive);
    if (isEmpty(c)) a.children.delete(k);
  }
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const members = new Set([...a.members].filter((m) => b.members.has(m)));
  const children = new Map<string, FieldSet>();
  for (const [k, c] of a.children) {
    const other = b.children.get(k);
    if (other) children.set(k, intersection(c, other));
  }
  return withChildren(members, children);
}

export function copySet(s: FieldSet): FieldSet {
  return { members: new Set(s.members), children: new Map([...s.children].map(([k, c]) => [k, copySet(c)])) };
}

export function equalSets(a: FieldSet, b: FieldSet): boolean {
  return isEmpty(difference(a, b)) && isEmpty(difference(b, a));
}

/** Every member path of a is one of b: isEmpty(difference(a, b)) without building the difference. */
export function isSubset(a: FieldSet, b: FieldSet): boolean {
  for (const m of a.members) if (!b.members.has(m)) return false;
  for (const [k, c] of a.children) {
    const other = b.children.get(k);
    if (other ? !isSubset(c, other) : !isEmpty(c)) return false;
  }
  return true;
}

function sortedKeys(keys: Iterable<string>): string[] {
  const all = Array.isArray(keys) ? keys : [...keys];
  // Field elements ("f:name") order by name, and with the common prefix that is the order of
  // the keys themselves: no need to parse them (the usual case, and the cost of encoding).
  if (all.every((k) => k.startsWith('f:'))) return all.sort(cmpKeys);
  return all.map((k) => [k, parsedKey(k)] as const).sort((x, y) => comparePE(x[1], y[1])).map(([k]) => k);
}

/**
 * Parsed elements for sorting, by their key: list items' keys (k:{"type":"Ready"},
 * k:{"name":"web"}) repeat in every pod's status entry, and parsing their JSON was most of
 * encoding one. Only comparePE reads these; bounded in entries and key length, oldest out first.
 */
const parsedKeys = new Map<string, PathElement>();
const PARSED_KEYS_MAX = 2048;
const PARSED_KEY_MAX_LENGTH = 512;

function parsedKey(k: string): PathElement {
  let pe = parsedKeys.get(k);
  if (pe) return pe;
  pe = parsePE(k);
  if (k.length <= PARSED_KEY_MAX_LENGTH) {
    if (parsedKeys.size >= PARSED_KEYS_MAX) parsedKeys.delete(parsedKeys.keys().next().value!);
    parsedKeys.set(k, pe);
  }
  return pe;
}

function cmpKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every member path, in upstream's iteration order (sorted by element at each level). */
export function setPaths(set: FieldSet): PathElement[][] {
  const out: PathElement[][] = [];
  const walk = (node: FieldSet, prefix: PathElement[]): void => {
    for (const k of sortedKeys(new Set([...node.members, ...node.children.keys()]))) {
      const here = [...prefix, parsePE(k)];
      if (node.members.has(k)) out.push(here);
      const c = node.children.get(k);
      if (c) walk(c, here);
    }
  };
  walk(set, []);
  return out;
}

/**
 * Serialise to FieldsV1: "." first when the path is itself a member and has children. The result
 * is deep-frozen as it is built, its leaves one shared empty object: it is written into stored
 * objects, which the store shares frozen (a separate deepFreeze pass cost as much as building it).
 */
export function toFieldsV1(set: FieldSet): FieldsV1 {
  return encodeNode(set, false);
}

const LEAF = EMPTY_OBJECT as FieldsV1;

function encodeNode(set: FieldSet, dot: boolean): FieldsV1 {
  const out: FieldsV1 = {};
  if (dot) out['.'] = LEAF;
  const keys = [...set.members];
  for (const k of set.children.keys()) if (!set.members.has(k)) keys.push(k);
  for (const k of sortedKeys(keys)) {
    const c = set.children.get(k);
    out[k] = c && !isEmpty(c) ? encodeNode(c, set.members.has(k)) : LEAF;
  }
  return Object.freeze(out);
}

export class FieldsV1Error extends Error {}

/**
 * Parse FieldsV1 JSON; element keys are re-serialised canonically. A set nested deeper than any
 * admitted object is refused (so it counts as undecodable and is reset), which also bounds every
 * recursive set operation below to the object nesting limit.
 */
export function fromFieldsV1(raw: unknown): FieldSet {
  if (exceedsDepth(raw, MAX_NESTING_DEPTH)) throw new FieldsV1Error(`nested deeper than ${MAX_NESTING_DEPTH} levels`);
  return parseFieldsV1(raw);
}

function parseFieldsV1(raw: unknown): FieldSet {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new FieldsV1Error('expected an object');
  }
  const set = emptySet();
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === '.') continue;
    let key: string;
    try {
      key = canonicalPE(k);
    } catch (e) {
      if (e instanceof PathElementSyntaxError) throw new FieldsV1Error(`parsing key as path element: ${e.message}`);
      throw e;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FieldsV1Error(`expected an object at ${k}`);
    const entries = Object.keys(v);
    if (entries.length === 0 || entries.includes('.')) set.members.add(key);
    if (entries.some((e) => e !== '.')) {
      const child = parseFieldsV1(v);
      const existing = set.children.get(key);
      set.children.set(key, existing ? union(existing, child) : child);
    }
  }
  return set;
}
