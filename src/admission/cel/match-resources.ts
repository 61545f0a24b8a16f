/**
 * Whether a policy's matchConstraints (or a binding's matchResources) select a request, as
 * upstream's policy/matching Matcher: namespaceSelector, objectSelector, excludeResourceRules,
 * then resourceRules (with resourceNames); matchPolicy Equivalent also tries the other served
 * versions of the request's resource. A selector error counts only when the rules select the
 * request.
 */
import type { MatchResources, NamedRuleWithOperations } from 'kubernetes-types/admissionregistration/v1.js';
import { ApiError, internalError, notFound } from '../../api/errors.ts';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
import { selectorFromMetav1, type LabelSelector } from '../../api/selectors/label-selector.ts';
import type { Store } from '../../storage/types.ts';
import type { AdmissionAttributes } from '../types.ts';
import { ruleMatches } from '../webhook/rules.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

type Parsed = { selector: LabelSelector; error?: string };

export interface CompiledMatch {
  /** Undefined for a binding without matchResources (it matches whatever its policy matches). */
  spec?: MatchResources;
  namespaceSelector: Parsed;
  objectSelector: Parsed;
}

function parse(sel: MatchResources['namespaceSelector']): Parsed {
  try {
    return { selector: selectorFromMetav1(sel ?? {}) };
  } catch (err) {
    return { selector: selectorFromMetav1(undefined), error: (err as Error).message };
  }
}

export function compileMatchResources(spec: MatchResources | undefined): CompiledMatch {
  return { ...(spec ? { spec } : {}), namespaceSelector: parse(spec?.namespaceSelector), objectSelector: parse(spec?.objectSelector) };
}

type Namespace = Record<string, any> | undefined;

export interface MatchDeps {
  /** The stored namespace by name: at once when known, else a promise. */
  namespace: (name: string) => Namespace | Promise<Namespace>;
  registry?: ResourceRegistry;
}

/**
 * A namespace reader over the store for one request: each namespace is read once, and answered
 * at once (no promise) after that, so matching many bindings costs no turn each.
 */
export function namespaceReader(store: Store): MatchDeps['namespace'] {
  const known = new Map<string, Namespace>();
  const pending = new Map<string, Promise<Namespace>>();
  return (name) => {
    if (known.has(name)) return known.get(name);
    let p = pending.get(name);
    if (!p) {
      p = store.get<Record<string, any>>(builtinKey('', 'namespaces', name)).then((s) => {
        known.set(name, s?.value);
        return s?.value;
      });
      pending.set(name, p);
    }
    return p;
  };
}

/** The resource and kind a request matched as (another version under matchPolicy Equivalent). */
export interface Matched {
  resource: { group: string; version: string; resource: string };
  kind: { group: string; version: string; kind: string };
}

type Labels = Record<string, string> | undefined;
const labelsOf = (o: Record<string, any> | undefined | null): Labels => o?.metadata?.labels;
const isNamespaceObject = (a: AdmissionAttributes): boolean => a.resource.group === '' && a.resource.resource === 'namespaces';

function namespaceMatches(deps: MatchDeps, m: CompiledMatch, a: AdmissionAttributes): boolean | ApiError | Promise<boolean | ApiError> {
  if (a.namespace === '' && !isNamespaceObject(a)) return true;
  if (m.namespaceSelector.error !== undefined) return internalError(`namespaceSelector: ${m.namespaceSelector.error}`);
  const selector = m.namespaceSelector.selector;
  if (selector.empty) return true;
  // The namespace being written: its new labels, not the stored ones.
  if (isNamespaceObject(a) && a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) return selector.matches(labelsOf(a.object));
  const name = a.namespace || a.name;
  const stored = deps.namespace(name);
  // No closure unless the namespace is still being read: this runs for every policy and binding.
  return stored instanceof Promise ? selectNamespaceLater(selector, name, stored) : selectNamespace(selector, name, stored);
}

/** Apart, so that namespaceMatches captures nothing (a closure's variables would cost it a context per call). */
function selectNamespaceLater(selector: LabelSelector, name: string, stored: Promise<Namespace>): Promise<boolean | ApiError> {
  return stored.then((s) => selectNamespace(selector, name, s));
}

function selectNamespace(selector: LabelSelector, name: string, stored: Namespace): boolean | ApiError {
  return stored ? selector.matches(labelsOf(stored)) : notFound({ group: '', resource: 'namespaces' }, name);
}

function objectMatches(m: CompiledMatch, a: AdmissionAttributes): boolean | ApiError {
  if (m.objectSelector.error !== undefined) return internalError(`objectSelector: ${m.objectSelector.error}`);
  const s = m.objectSelector.selector;
  if (s.empty) return true;
  return (!!a.object && s.matches(labelsOf(a.object))) || (!!a.oldObject && s.matches(labelsOf(a.oldObject)));
}

function namedRuleMatches(rule: NamedRuleWithOperations, a: AdmissionAttributes): boolean {
  if (!ruleMatches(rule, a)) return false;
  return !rule.resourceNames?.length || rule.resourceNames.includes(a.name);
}

/** Other served versions of the request's resource: upstream's equivalent resources. */
function equivalents(deps: Pick<MatchDeps, 'registry'>, a: AdmissionAttributes): Matched[] {
  if (!deps.registry) return [];
  return deps.registry
    .all()
    .filter((d) => d.group === a.resource.group && d.resource === a.resource.resource && d.version !== a.resource.version)
    .sort((x, y) => (x.version < y.version ? -1 : 1))
    .map((d) => ({ resource: { group: d.group, version: d.version, resource: d.resource }, kind: { group: d.group, version: d.version, kind: d.kind } }));
}

/**
 * A request matched as itself is its own Matched (it has resource and kind): no object per policy
 * and binding. Matched objects are only read.
 */
function rulesMatch(deps: MatchDeps, rules: readonly NamedRuleWithOperations[], equivalent: boolean, a: AdmissionAttributes): Matched | undefined {
  // Most have no excludeResourceRules: no list of equivalent versions to build for them.
  if (rules.length === 0) return undefined;
  for (let i = 0; i < rules.length; i++) if (namedRuleMatches(rules[i]!, a)) return a;
  if (!equivalent) return undefined;
  for (const eq of equivalents(deps, a)) {
    const as = { ...a, resource: eq.resource };
    for (const r of rules) if (namedRuleMatches(r, as)) return eq;
  }
  return undefined;
}

/**
 * Whether the resourceRules could select a request of this operation, resource, subresource and
 * scope, whatever its name, namespace and object: false only when matchResources cannot select
 * it (a policy index skips those policies without matching them).
 */
export function resourceRulesMayMatch(deps: Pick<MatchDeps, 'registry'>, m: CompiledMatch, a: AdmissionAttributes): boolean {
  const rules = m.spec?.resourceRules ?? [];
  if (rules.length === 0 || rules.some((r) => ruleMatches(r, a))) return true;
  if (m.spec?.matchPolicy !== 'Equivalent') return false;
  return equivalents(deps, a).some((eq) => rules.some((r) => ruleMatches(r, { ...a, resource: eq.resource })));
}

/** The match, undefined when not selected; throws the ApiError of a selector that fails. */
export function matchResources(deps: MatchDeps, m: CompiledMatch, a: AdmissionAttributes): Matched | undefined | Promise<Matched | undefined> {
  const ns = namespaceMatches(deps, m, a);
  return ns instanceof Promise ? afterNamespaceLater(deps, m, a, ns) : afterNamespace(deps, m, a, ns);
}

/** Apart, so that matchResources captures nothing (see selectNamespaceLater). */
function afterNamespaceLater(deps: MatchDeps, m: CompiledMatch, a: AdmissionAttributes, ns: Promise<boolean | ApiError>): Promise<Matched | undefined> {
  return ns.then((x) => afterNamespace(deps, m, a, x));
}

const NO_RULES: readonly NamedRuleWithOperations[] = Object.freeze([]);

function afterNamespace(deps: MatchDeps, m: CompiledMatch, a: AdmissionAttributes, ns: boolean | ApiError): Matched | undefined {
  if (ns === false) return undefined;
  const obj = objectMatches(m, a);
  if (obj === false) return undefined;
  // Unset is Exact, as upstream (the API defaults it to Equivalent).
  const equivalent = m.spec?.matchPolicy === 'Equivalent';
  if (rulesMatch(deps, m.spec?.excludeResourceRules ?? NO_RULES, equivalent, a)) return undefined;
  const rules = m.spec?.resourceRules ?? NO_RULES;
  const matched = rules.length === 0 ? a : rulesMatch(deps, rules, equivalent, a);
  if (!matched) return undefined;
  if (ns instanceof ApiError) throw ns;
  if (obj instanceof ApiError) throw obj;
  return matched;
}
