/**
 * One role's rules compiled for lookup by key: a key is (verb, apiGroup, resource) with `*`
 * kept as a value of its own. A decision looks up the request's exact key and only those
 * wildcard keys the role actually uses, so a binding usually costs one lookup (node-casbin's
 * enforce scans every policy line: ~20 decisions/s at 100k lines).
 *
 * Verbs, groups, resources and resource names are small integers handed out by one RuleKeys per
 * index: a request turns its strings into numbers once (lookups in small maps, no key string
 * built), and the lookups then compare integers in the index's flat rule table (a FlatTable):
 * (role, verb, group, resource, NO_NAME) for rules without resourceNames, (…, name) for each
 * name a rule with resourceNames lists.
 */
import type { PolicyRule } from './types.ts';
import { trimStars } from './rule-match.ts';
import type { FlatTable } from './flat-table.ts';

export interface UrlBucket {
  exact: Map<string, number>;
  prefixes: { prefix: string; index: number }[];
}

/** Which wildcard forms a role uses (the others are never looked up), and what it holds. */
const STAR_VERB = 1;
const STAR_GROUP = 2;
const STAR_RESOURCE = 4;
const STAR_SUB = 8;
const HAS_PLAIN = 16;
const HAS_NAMED = 32;
export const HAS_URLS = 64;

/** A (verb, group, resource) triple of numbers. */
export type Key = readonly [verb: number, group: number, resource: number];

/** The name part of a table key for a rule without resourceNames (it grants every name). */
export const NO_NAME = -1;

/** A rule table entry: the first rule (by position: upstream reports the first that allows) granting key and name. */
export interface Entry {
  key: Key;
  name: number;
  index: number;
}

export interface CompiledRules {
  readonly rules: readonly PolicyRule[];
  /** What goes into the rule table. */
  readonly entries: Entry[];
  /** STAR_* and HAS_* bits. */
  readonly flags: number;
  readonly nonResource: Map<string, UrlBucket>;
}

/**
 * Numbers for strings. A number is never reused while the interner lives: it grows with the
 * distinct strings the policy has ever named, which stays small next to the policy (the index
 * starts afresh when it is cleared). `first`, if given, is 0.
 */
export class Interner {
  readonly #ids: Map<string, number>;

  constructor(first?: string) {
    this.#ids = new Map(first === undefined ? [] : [[first, 0]]);
  }

  /** The string's number, assigned on first use. */
  intern(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) this.#ids.set(s, (id = this.#ids.size));
    return id;
  }

  /** The string's number, or -1 if no role has ever named it (then no rule grants it). */
  find(s: string): number {
    return this.#ids.get(s) ?? -1;
  }
}

/** The number of `*` in each of RuleKeys' interners. */
export const STAR = 0;

export class RuleKeys {
  readonly verbs = new Interner('*');
  readonly groups = new Interner('*');
  /** Resources as rules name them: `pods`, `pods/log`, `*\/scale`. */
  readonly resources = new Interner('*');
  /** resourceNames (`*` is no wildcard there, so it is just a name). */
  readonly names = new Interner();
}

const UNKNOWN = -2;
const VERB = 0;
const GROUP = 1;
const RESOURCE = 2;
const STAR_SUBRESOURCE = 3;
const NAME = 4;

/**
 * A resource request. `ids` caches the numbers of its verb, group, resource, `*\/sub` and name,
 * found on first use, so a request pays for each once however many bindings it is checked against.
 */
export interface ResourceQuery {
  verb: string;
  group: string;
  /** `resource` or `resource/subresource`. */
  combined: string;
  /** `*\/subresource`, or undefined without a subresource. */
  starSub: string | undefined;
  name: string;
  keys: RuleKeys;
  /** UNKNOWN until looked up; -1 when no role names it. */
  ids: Int32Array;
}

export function newResourceQuery(keys: RuleKeys): ResourceQuery {
  return { verb: '', group: '', combined: '', starSub: undefined, name: '', keys, ids: new Int32Array(5).fill(UNKNOWN) };
}

/** Points the query at a new request (clears the cached keys). */
export function resetResourceQuery(q: ResourceQuery, verb: string, group: string, resource: string, subresource: string, name: string): void {
  q.verb = verb;
  q.group = group;
  q.combined = subresource ? `${resource}/${subresource}` : resource;
  q.starSub = subresource ? `*/${subresource}` : undefined;
  q.name = name;
  q.ids.fill(UNKNOWN);
}

export function compileRules(rules: readonly PolicyRule[], keys: RuleKeys): CompiledRules {
  const entries: Entry[] = [];
  const seen = new Set<string>();
  const nonResource = new Map<string, UrlBucket>();
  let flags = 0;
  rules.forEach((rule, index) => {
    const names = rule.resourceNames && rule.resourceNames.length > 0 ? rule.resourceNames.map((n) => keys.names.intern(n)) : [NO_NAME];
    for (const verb of rule.verbs ?? []) {
      for (const group of rule.apiGroups ?? []) {
        for (const res of rule.resources ?? []) {
          if (verb === '*') flags |= STAR_VERB;
          if (group === '*') flags |= STAR_GROUP;
          if (res === '*') flags |= STAR_RESOURCE;
          else if (res.startsWith('*/')) flags |= STAR_SUB;
          const key: Key = [keys.verbs.intern(verb), keys.groups.intern(group), keys.resources.intern(res)];
          for (const name of names) {
            flags |= name === NO_NAME ? HAS_PLAIN : HAS_NAMED;
            const k = `${key.join()},${name}`;
            if (!seen.has(k)) entries.push({ key, name, index });
            seen.add(k);
          }
        }
      }
      for (const url of rule.nonResourceURLs ?? []) {
        flags |= HAS_URLS;
        let b = nonResource.get(verb);
        if (b === undefined) nonResource.set(verb, (b = { exact: new Map(), prefixes: [] }));
        if (url.endsWith('*')) b.prefixes.push({ prefix: trimStars(url), index });
        else if (!b.exact.has(url)) b.exact.set(url, index);
      }
    }
  });
  return { rules, entries, flags, nonResource };
}

/** What a resource lookup found: the first allowing rule and its position (-1: none). */
export interface Found {
  index: number;
  rule: PolicyRule | undefined;
}

/** The first rule of role `slot` allowing the request, into `found`. `flags` are the role's STAR_* and HAS_* bits. */
export function findResourceRule(table: FlatTable<PolicyRule>, slot: number, flags: number, q: ResourceQuery, found: Found): void {
  found.index = -1;
  found.rule = undefined;
  // Non-resource-only roles (system:discovery, bound to everyone) cost no lookup at all.
  if ((flags & (HAS_PLAIN | HAS_NAMED)) === 0) return;
  const verb = id(q, VERB);
  const group = id(q, GROUP);
  const resource = id(q, RESOURCE);
  const name = (flags & HAS_NAMED) === 0 ? -1 : id(q, NAME);
  lookup(table, slot, flags, verb, group, resource, name, found);
  if ((flags & (STAR_VERB | STAR_GROUP | STAR_RESOURCE | STAR_SUB)) === 0) return;
  // The other 11 combinations of (verb | *) × (group | *) × (resource | * | */sub).
  const starSub = (flags & STAR_SUB) === 0 || q.starSub === undefined ? -1 : id(q, STAR_SUBRESOURCE);
  for (let j = 1; j < 12; j++) {
    const v = j >= 6;
    const g = j % 6 >= 3;
    const r = j % 3;
    if (v && (flags & STAR_VERB) === 0) continue;
    if (g && (flags & STAR_GROUP) === 0) continue;
    if (r === 1 && (flags & STAR_RESOURCE) === 0) continue;
    if (r === 2 && starSub === -1) continue;
    lookup(table, slot, flags, v ? STAR : verb, g ? STAR : group, r === 0 ? resource : r === 1 ? STAR : starSub, name, found);
  }
}

/** The number of the request's verb, group, resource, `*\/sub` or name; -1 if no rule names it. */
function id(q: ResourceQuery, part: number): number {
  let n = q.ids[part]!;
  if (n === UNKNOWN) {
    const k = q.keys;
    if (part === NAME) n = k.names.find(q.name);
    else n = part === VERB ? k.verbs.find(q.verb) : part === GROUP ? k.groups.find(q.group) : k.resources.find(part === RESOURCE ? q.combined : q.starSub!);
    q.ids[part] = n;
  }
  return n;
}

/**
 * Lowers `found` to the first rule granting the key, if it comes earlier: among the rules
 * without resourceNames and, when the request names something a rule lists (`name` ≥ 0), those.
 */
function lookup(table: FlatTable<PolicyRule>, slot: number, flags: number, verb: number, group: number, resource: number, name: number, found: Found): void {
  if (verb === -1 || group === -1 || resource === -1) return;
  if ((flags & HAS_PLAIN) !== 0) take(table, table.find(slot, verb, group, resource, NO_NAME), found);
  if (name >= 0) take(table, table.find(slot, verb, group, resource, name), found);
}

function take(table: FlatTable<PolicyRule>, entry: number, found: Found): void {
  if (entry === -1) return;
  const i = table.value(entry);
  if (found.index !== -1 && i >= found.index) return;
  found.index = i;
  found.rule = table.payload(entry);
}

/** The index of the first rule allowing the non-resource request, or -1. */
export function findNonResourceRule(nonResource: Map<string, UrlBucket>, verb: string, path: string): number {
  return inUrls(nonResource.get('*'), path, inUrls(nonResource.get(verb), path, -1));
}

function inUrls(b: UrlBucket | undefined, path: string, best: number): number {
  if (b === undefined) return best;
  const exact = b.exact.get(path);
  if (exact !== undefined && (best === -1 || exact < best)) best = exact;
  for (const p of b.prefixes) {
    if (best !== -1 && p.index >= best) break;
    if (path.startsWith(p.prefix)) return p.index;
  }
  return best;
}
