/**
 * One step of a field path, as structured-merge-diff's fieldpath.PathElement: a field name, the
 * key of an item in an associative (listType=map) list, the value of an item in a set, or an
 * index. Serialised the FieldsV1 way ("f:name", "k:{...}", "v:...", "i:0"), and that string is
 * the identity of the element everywhere in this module.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type PathElement =
  | { kind: 'field'; name: string }
  /** Key fields sorted by name, as upstream's FieldList.Sort. */
  | { kind: 'key'; fields: Array<[string, Json]> }
  | { kind: 'value'; value: Json }
  | { kind: 'index'; index: number };

export type Path = readonly PathElement[];

export function fieldPE(name: string): PathElement {
  return { kind: 'field', name };
}

export function keyPE(fields: Array<[string, Json]>): PathElement {
  return { kind: 'key', fields: [...fields].sort((a, b) => cmpStr(a[0], b[0])) };
}

/**
 * JSON as Go's encoding/json (and json-iterator's standard-compatible config) writes it: map keys
 * sorted, and <, >, & and U+2028/U+2029 escaped. Key and value elements must serialise
 * byte-for-byte like upstream's, or the same item would get two identities.
 */
export function goJson(v: Json): string {
  if (v === null || typeof v !== 'object') return escapeGo(JSON.stringify(v));
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const keys = Object.keys(v).sort(cmpStr);
  return `{${keys.map((k) => `${escapeGo(JSON.stringify(k))}:${goJson(v[k] as Json)}`).join(',')}}`;
}

function escapeGo(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function serializePE(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.fields.map(([n, v]) => `${escapeGo(JSON.stringify(n))}:${goJson(v)}`).join(',')}}`;
    case 'value':
      return `v:${goJson(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

/**
 * serializePE(keyPE([[name, value]])) for one key field with a string value (an item of a list
 * keyed by name, type, ip, mountPath ...), without building the element: the comparison of every
 * write keys each list item so.
 */
export function serializeStringKey(name: string, value: string): string {
  return `k:{${escapeGo(JSON.stringify(name))}:${escapeGo(JSON.stringify(value))}}`;
}

export class PathElementSyntaxError extends Error {}

export function parsePE(s: string): PathElement {
  if (s.length < 2 || s[1] !== ':') throw new PathElementSyntaxError(`missing colon: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { kind: 'field', name: body };
    case 'v':
      return { kind: 'value', value: parseJson(body) };
    case 'k': {
      const obj = parseJson(body);
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        throw new PathElementSyntaxError(`key must be an object: ${s}`);
      }
      return keyPE(Object.entries(obj));
    }
    case 'i': {
      if (!/^-?\d+$/.test(body)) throw new PathElementSyntaxError(`invalid index: ${s}`);
      return { kind: 'index', index: Number(body) };
    }
    default:
      throw new PathElementSyntaxError('unknown path element type');
  }
}

function parseJson(s: string): Json {
  try {
    return JSON.parse(s) as Json;
  } catch (e) {
    throw new PathElementSyntaxError((e as Error).message);
  }
}

/** Re-serialise a parsed element so keys written by other clients get the canonical identity. */
export function canonicalPE(s: string): string {
  return serializePE(parsePE(s));
}

function cmpStr(a: string, b: string): number {
  // Go compares strings bytewise; for the BMP, UTF-16 order agrees with UTF-8 order.
  return a < b ? -1 : a > b ? 1 : 0;
}

function typeRank(v: Json): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null) return 4;
  return 5;
}

/** value.Compare: a total order, numbers < strings < booleans < lists < maps < null. */
export function compareValues(a: Json, b: Json): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return cmpStr(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i] as Json, b[i] as Json);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    return compareFieldLists(Object.entries(a).sort(byName), Object.entries(b).sort(byName));
  }
  return 0;
}

function byName(x: [string, Json], y: [string, Json]): number {
  return cmpStr(x[0], y[0]);
}

function compareFieldLists(a: Array<[string, Json]>, b: Array<[string, Json]>): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [an, av] = a[i] as [string, Json];
    const [bn, bv] = b[i] as [string, Json];
    const c = cmpStr(an, bn) || compareValues(av, bv);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

const KIND_RANK = { field: 0, key: 1, value: 2, index: 3 } as const;

/** PathElement.Compare: fields < keys < values < indexes, then by content. Fixes FieldsV1 order. */
export function comparePE(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (a.kind === 'field' && b.kind === 'field') return cmpStr(a.name, b.name);
  if (a.kind === 'key' && b.kind === 'key') return compareFieldLists(a.fields, b.fields);
  if (a.kind === 'value' && b.kind === 'value') return compareValues(a.value, b.value);
  if (a.kind === 'index' && b.kind === 'index') return a.index - b.index;
  return 0;
}

/** Go's %v of a value.Value (value.ToString): strings quoted, maps as {k=v}. */
function valueToString(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v)
      .sort(byName)
      .map(([k, x]) => `${k}=${valueToString(x)}`)
      .join(',')}}`;
  }
  return String(v);
}

/** PathElement.String(), as used in conflict messages: .spec, [name="nginx"], [="x"], [0]. */
export function peToString(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `.${pe.name}`;
    case 'key':
      return `[${pe.fields.map(([n, v]) => `${n}=${valueToString(v)}`).join(',')}]`;
    case 'value':
      return `[=${valueToString(pe.value)}]`;
    case 'index':
      return `[${pe.index}]`;
  }
}

export function pathToString(path: Path): string {
  return path.map(peToString).join('');
}
