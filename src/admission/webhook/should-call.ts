/**
 * Whether a webhook applies to a request, in upstream's order (generic/webhook.go ShouldCallHook):
 * namespaceSelector, objectSelector, rules, then matchConditions. A selector error (a lookup that
 * failed, or a selector that does not parse) only counts when the rules select the request; then
 * it is an internal error whatever the failurePolicy, as upstream's dispatchers return it.
 */
import { ApiError, notFound } from '../../api/errors.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { Store } from '../../storage/types.ts';
import type { AdmissionAttributes } from '../types.ts';
import { internalError } from './errors.ts';
import { matchConditions } from './match-conditions.ts';
import { admissionRequestBase } from './review.ts';
import { ruleMatches } from './rules.ts';
import type { Hook } from './types.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

type Labels = Record<string, string> | undefined;
const labelsOf = (o: Record<string, any> | undefined): Labels => o?.metadata?.labels;

const isNamespaceObject = (a: AdmissionAttributes): boolean => a.resource.group === '' && a.resource.resource === 'namespaces';

async function namespaceMatches(store: Store, hook: Hook, a: AdmissionAttributes): Promise<boolean | ApiError> {
  // Cluster-scoped objects other than namespaces are never exempted by a namespaceSelector.
  if (a.namespace === '' && !isNamespaceObject(a)) return true;
  if (hook.namespaceSelectorError !== undefined) return selectorError(hook, 'namespaceSelector', hook.namespaceSelectorError);
  if (hook.namespaceSelector.empty) return true;
  let labels: Labels;
  if (isNamespaceObject(a) && a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) {
    // The namespace being written: its new labels, not the stored ones.
    labels = labelsOf(a.object);
  } else {
    const ns = a.namespace || a.name;
    const stored = await store.get<Record<string, any>>(builtinKey('', 'namespaces', ns));
    if (!stored) return notFound({ group: '', resource: 'namespaces' }, ns);
    labels = labelsOf(stored.value);
  }
  return hook.namespaceSelector.matches(labels);
}

function selectorError(hook: Hook, which: string, why: string): ApiError {
  return internalError(`webhook "${hook.name}": ${which}: ${why}`);
}

function objectMatches(hook: Hook, a: AdmissionAttributes): boolean | ApiError {
  if (hook.objectSelectorError !== undefined) return selectorError(hook, 'objectSelector', hook.objectSelectorError);
  if (hook.objectSelector.empty) return true;
  return (!!a.object && hook.objectSelector.matches(labelsOf(a.object))) || (!!a.oldObject && hook.objectSelector.matches(labelsOf(a.oldObject)));
}

export interface CallDeps {
  store: Store;
  authorizer: Authorizer;
}

/** True to call the webhook, false to skip it; throws the ApiError that ends the request. */
export async function shouldCallHook(deps: CallDeps, hook: Hook, a: AdmissionAttributes): Promise<boolean> {
  const nsMatch = await namespaceMatches(deps.store, hook, a);
  if (nsMatch === false) return false;
  const objMatch = objectMatches(hook, a);
  if (objMatch === false) return false;
  if (!(hook.spec.rules ?? []).some((r) => ruleMatches(r, a))) return false;
  if (nsMatch instanceof ApiError) throw nsMatch;
  if (objMatch instanceof ApiError) throw objMatch;
  const m = await matchConditions(hook.conditions, a, admissionRequestBase(a), deps.authorizer, hook.failOpen);
  if ('error' in m) {
    const gr = a.resource.group ? `${a.resource.resource}.${a.resource.group}` : a.resource.resource;
    const what = a.name ? `${gr} "${a.name}"` : gr;
    throw new ApiError(403, 'Forbidden', `${what} is forbidden: ${m.error}`, { name: a.name || undefined, group: a.resource.group || undefined, kind: a.resource.resource });
  }
  return m.matches;
}
