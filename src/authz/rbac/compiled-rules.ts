/**
 * One role's rules as nested maps verb → apiGroup → resource, with `*` kept as its own key, so
 * a decision costs a handful of map lookups instead of a scan over every rule (node-casbin's
 * enforce scans every policy line; at 100k lines that is ~20 decisions/s).
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

export interface CompiledRules {
  readonly rules: readonly PolicyRule[];
  readonly resource: Map<string, Map<string, Map<string, RuleRef[]>>>;
  readonly nonResource: Map<string, UrlBucket>;
}

/** A resource request, with the strings the lookup needs computed once per request. */
export interface ResourceQuery {
  verb: string;
  group: string;
  /** `resource` or `resource/subresource`. */
  combined: string;
  /** `*\/subresource`, or undefined without a subresource. */
  starSub: string | undefined;
  name: string;
}

export function compileRules(rules: readonly PolicyRule[]): CompiledRules {
  const resource = new Map<string, Map<string, Map<string, RuleRef[]>>>();
  const nonResource = new Map<string, UrlBucket>();
  rules.forEach((rule, index) => {
    const verbs = rule.verbs ?? [];
    const names = rule.resourceNames && rule.resourceNames.length > 0 ? new Set(rule.resourceNames) : null;
    const ref: RuleRef = { index, names };
    for (const verb of verbs) {
      for (const group of rule.apiGroups ?? []) {
        for (const res of rule.resources ?? []) {
          const groups = getOrCreate(resource, verb, () => new Map<string, Map<string, RuleRef[]>>());
          const bucket = getOrCreate(getOrCreate(groups, group, () => new Map<string, RuleRef[]>()), res, (): RuleRef[] => []);
          if (bucket[bucket.length - 1] !== ref) bucket.push(ref);
        }
      }
      for (const url of rule.nonResourceURLs ?? []) {
        const b = getOrCreate(nonResource, verb, newUrlBucket);
        if (url === '*' || url.endsWith('*')) b.prefixes.push({ prefix: url === '*' ? '' : trimStars(url), index });
        else if (!b.exact.has(url)) b.exact.set(url, index);
      }
    }
  });
  return { rules, resource, nonResource };
}

/** The index of the first rule allowing the request, or -1. */
export function findResourceRule(c: CompiledRules, q: ResourceQuery): number {
  let best = -1;
  best = inVerb(c.resource.get(q.verb), q, best);
  return inVerb(c.resource.get('*'), q, best);
}

function inVerb(groups: Map<string, Map<string, RuleRef[]>> | undefined, q: ResourceQuery, best: number): number {
  if (groups === undefined) return best;
  best = inGroup(groups.get(q.group), q, best);
  return inGroup(groups.get('*'), q, best);
}

function inGroup(resources: Map<string, RuleRef[]> | undefined, q: ResourceQuery, best: number): number {
  if (resources === undefined) return best;
  best = inBucket(resources.get(q.combined), q.name, best);
  best = inBucket(resources.get('*'), q.name, best);
  if (q.starSub !== undefined) best = inBucket(resources.get(q.starSub), q.name, best);
  return best;
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

function newUrlBucket(): UrlBucket {
  return { exact: new Map(), prefixes: [] };
}

function getOrCreate<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    m.set(k, v);
  }
  return v;
}
