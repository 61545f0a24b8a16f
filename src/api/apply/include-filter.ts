/**
 * structured-merge-diff's include filter (fieldpath.NewIncludeMatcherFilter with prefix matchers):
 * the field set a subresource's writer may own. pods/resize and pods/ephemeralcontainers have one
 * (podResizeStrategy / podEphemeralContainersStrategy resetFieldsFilter) instead of reset fields:
 * everything outside it is neither owned nor compared.
 */
import type { Comparison } from './compare.ts';
import { emptySet, isEmpty, type FieldSet } from './field-set.ts';
import { fieldPE, serializePE } from './path-element.ts';

/** fieldpath.SetMatcher: per path element (serialised, or '*' for any) what matches below it; true matches everything. */
export type IncludeMatcher = true | ReadonlyMap<string, IncludeMatcher>;

const ANY = '*';

/**
 * MakePrefixMatcherOrDie for each prefix, merged: a prefix is field names, with '*' for
 * MatchAnyPathElement(); all below a prefix's end matches.
 */
export function prefixMatcher(prefixes: readonly (readonly string[])[]): IncludeMatcher {
  const root = new Map<string, IncludeMatcher>();
  for (const prefix of prefixes) {
    let node = root;
    prefix.forEach((name, i) => {
      const key = name === ANY ? ANY : serializePE(fieldPE(name));
      if (i === prefix.length - 1) {
        node.set(key, true);
        return;
      }
      let next = node.get(key);
      if (next === true) return;
      if (!next) node.set(key, (next = new Map()));
      node = next as Map<string, IncludeMatcher>;
    });
  }
  return root;
}

/**
 * Set.FilterIncludeMatches: a member stays when an element of the matcher at its level matches it
 * (whatever the matcher wants below); a child stays when what is left of it under the first
 * matching element (any-element first, as the sorted matcher has it) is not empty.
 */
export function includeMatches(set: FieldSet, m: IncludeMatcher): FieldSet {
  if (m === true) return set;
  const out = emptySet();
  const any = m.get(ANY);
  for (const k of set.members) if (any !== undefined || m.has(k)) out.members.add(k);
  for (const [k, child] of set.children) {
    const sub = any ?? m.get(k);
    if (sub === undefined) continue;
    const kept = includeMatches(child, sub);
    if (!isEmpty(kept)) out.children.set(k, kept);
  }
  return out;
}

export function includeComparison(c: Comparison, m: IncludeMatcher | undefined): Comparison {
  if (m === undefined) return c;
  return { added: includeMatches(c.added, m), modified: includeMatches(c.modified, m), removed: includeMatches(c.removed, m) };
}

/** podResizeStrategy's filter (1.33): the containers' and init containers' resources and resizePolicy. */
export const RESIZE_INCLUDE = prefixMatcher([
  ['spec', 'containers', ANY, 'resources'],
  ['spec', 'containers', ANY, 'resizePolicy'],
  ['spec', 'initContainers', ANY, 'resources'],
  ['spec', 'initContainers', ANY, 'resizePolicy'],
]);

/** podEphemeralContainersStrategy's filter: spec.ephemeralContainers. */
export const EPHEMERAL_CONTAINERS_INCLUDE = prefixMatcher([['spec', 'ephemeralContainers']]);

/**
 * A subresource strategy's resetFieldsFilter (GetResetFieldsFilter), where it has one instead of
 * reset fields: pods/resize and pods/ephemeralcontainers own only what they may change.
 */
export function includeFilterFor(group: string, kind: string, subresource: string): IncludeMatcher | undefined {
  if (group !== '' || kind !== 'Pod') return undefined;
  if (subresource === 'resize') return RESIZE_INCLUDE;
  if (subresource === 'ephemeralcontainers') return EPHEMERAL_CONTAINERS_INCLUDE;
  return undefined;
}
