/**
 * One role's rules as a single map from (verb, apiGroup, resource) to the rules granting it,
 * with `*` kept as a value of its own. A decision looks up the request's exact key and only
 * those wildcard keys the role actually uses, so a binding usually costs one map lookup
 * (node-casbin's enforce scans every policy line: ~20 decisions/s at 100k lines).
 */
import type { PolicyRule } from './types.ts';
import { trimStars } from './rule-match.ts';

interface RuleRef {
  /** Position in the role's rules: upstream reports the first rule that allows. */
  index: number;
  /** null: the rule names no resourceNames, so every name (and none) matches. */
  names: Set<string> | null;
}

interface UrlBucket {
  exact: Map<string, number>;
  prefixes: { prefix: string; index: number }[];
}

const STAR_VERB = 1;
const STAR_GROUP = 2;
const STAR_RESOURCE = 4;
const STAR_SUB = 8;

export interface CompiledRules {
  readonly rules: readonly PolicyRule[];
  readonly byKey: Map<string, RuleRef[]>;
  /** Which wildcard forms occur in the role (STAR_* bits): the others are never looked up. */
  readonly wild: number;
  readonly nonResource: Map<string, UrlBucket>;
}

/**
 * A resource request. `keys` caches the (up to 12) lookup keys, built on first use, so a
 * request pays for each key once however many bindings it is checked against.
 */
export interface ResourceQuery {
  verb: string;
  group: string;
  /** `resource` or `resource/subresource`. */
  combined: string;
  /** `*\/subresource`, or undefined without a subresource. */
  starSub: string | undefined;
  name: string;
  keys: (string | undefined)[];
}

/** Unambiguous for any strings: the first two parts are length-prefixed. */
export function ruleKey(verb: string, group: string, resource: string): string {
  return `${verb.length}:${verb}${group.length}:${group}${resource}`;
}

export function newResourceQuery(): ResourceQuery {
  return { verb: '', group: '', combined: '', starSub: undefined, name: '', keys: new Array<string | undefined>(12).fill(undefined) };
}

/** Points the query at a new request (clears the cached keys). */
export function resetResourceQuery(q: ResourceQuery, verb: string, group: string, resource: string, subresource: string, name: string): void {
  q.verb = verb;
  q.group = group;
  q.combined = subresource ? `${resource}/${subresource}` : resource;
  q.starSub = subresource ? `*/${subresource}` : undefined;
  q.name = name;
  q.keys.fill(undefined);
}

export function compileRules(rules: readonly PolicyRule[]): CompiledRules {
  const byKey = new Map<string, RuleRef[]>();
  const nonResource = new Map<string, UrlBucket>();
  let wild = 0;
  rules.forEach((rule, index) => {
    const names = rule.resourceNames && rule.resourceNames.length > 0 ? new Set(rule.resourceNames) : null;
    const ref: RuleRef = { index, names };
    for (const verb of rule.verbs ?? []) {
      for (const group of rule.apiGroups ?? []) {
        for (const res of rule.resources ?? []) {
          if (verb === '*') wild |= STAR_VERB;
          if (group === '*') wild |= STAR_GROUP;
          if (res === '*') wild |= STAR_RESOURCE;
          else if (res.startsWith('*/')) wild |= STAR_SUB;
          const k = ruleKey(verb, group, res);
          let bucket = byKey.get(k);
          if (bucket === undefined) byKey.set(k, (bucket = []));
          if (bucket[bucket.length - 1] !== ref) bucket.push(ref);
        }
      }
      for (const url of rule.nonResourceURLs ?? []) {
        let b = nonResource.get(verb);
        if (b === undefined) nonResource.set(verb, (b = { exact: new Map(), prefixes: [] }));
        if (url.endsWith('*')) b.prefixes.push({ prefix: trimStars(url), index });
        else if (!b.exact.has(url)) b.exact.set(url, index);
      }
    }
  });
  return { rules, byKey, wild, nonResource };
}

/** The index of the first rule allowing the request, or -1. */
export function findResourceRule(c: CompiledRules, q: ResourceQuery): number {
  // Non-resource-only roles (system:discovery, bound to everyone) cost no key at all.
  if (c.byKey.size === 0) return -1;
  let best = inBucket(c.byKey.get(key(q, 0)), q.name, -1);
  const wild = c.wild;
  if (wild === 0) return best;
  // The other 11 combinations of (verb | *) × (group | *) × (resource | * | */sub).
  for (let j = 1; j < 12; j++) {
    const v = j >= 6;
    const g = j % 6 >= 3;
    const r = j % 3;
    if (v && (wild & STAR_VERB) === 0) continue;
    if (g && (wild & STAR_GROUP) === 0) continue;
    if (r === 1 && (wild & STAR_RESOURCE) === 0) continue;
    if (r === 2 && ((wild & STAR_SUB) === 0 || q.starSub === undefined)) continue;
    best = inBucket(c.byKey.get(key(q, j)), q.name, best);
  }
  return best;
}

function key(q: ResourceQuery, j: number): string {
  let k = q.keys[j];
  if (k === undefined) {
    const r = j % 3;
    k = ruleKey(j >= 6 ? '*' : q.verb, j % 6 >= 3 ? '*' : q.group, r === 0 ? q.combined : r === 1 ? '*' : q.starSub!);
    q.keys[j] = k;
  }
  return k;
}

function inBucket(refs: RuleRef[] | undefined, name: string, best: number): number {
  if (refs === undefined) return best;
  for (const r of refs) {
    if (best !== -1 && r.index >= best) return best;
    if (r.names === null || r.names.has(name)) return r.index;
  }
  return best;
}

export function findNonResourceRule(c: CompiledRules, verb: string, path: string): number {
  return inUrls(c.nonResource.get('*'), path, inUrls(c.nonResource.get(verb), path, -1));
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
