/**
 * Whether a webhook applies to a request, in upstream's order (generic/webhook.go ShouldCallHook):
 * namespaceSelector, objectSelector, rules, then matchConditions. A selector error only counts when
 * the rules select the request.
 */
import { ApiError, notFound } from '../../api/errors.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { Store } from '../../storage/types.ts';
import type { AdmissionAttributes } from '../types.ts';
import { matchConditions } from './match-conditions.ts';
import { admissionRequestBase } from './review.ts';
import { ruleMatches } from './rules.ts';
import type { Hook } from './types.ts';

type Labels = Record<string, string> | undefined;
const labelsOf = (o: Record<string, any> | undefined): Labels => o?.metadata?.labels;

const isNamespaceObject = (a: AdmissionAttributes): boolean => a.resource.group === '' && a.resource.resource === 'namespaces';

async function namespaceMatches(store: Store, hook: Hook, a: AdmissionAttributes): Promise<boolean | ApiError> {
  // Cluster-scoped objects other than namespaces are never exempted by a namespaceSelector.
  if (a.namespace === '' && !isNamespaceObject(a)) return true;
  if (hook.namespaceSelector.empty) return true;
  let labels: Labels;
  if (isNamespaceObject(a) && a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) {
    // The namespace being written: its new labels, not the stored ones.
    labels = labelsOf(a.object);
  } else {
    const ns = a.namespace || a.name;
    const stored = await store.get<Record<string, any>>(`/registry/core/namespaces/${ns}`);
    if (!stored) return notFound({ group: '', resource: 'namespaces' }, ns);
    labels = labelsOf(stored.value);
  }
  return hook.namespaceSelector.matches(labels);
}

function objectMatches(hook: Hook, a: AdmissionAttributes): boolean {
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
  if (!objectMatches(hook, a)) return false;
  if (!(hook.spec.rules ?? []).some((r) => ruleMatches(r, a))) return false;
  if (nsMatch instanceof ApiError) throw nsMatch;
  const m = await matchConditions(hook.conditions, a, admissionRequestBase(a), deps.authorizer, hook.failOpen);
  if ('error' in m) {
    const gr = a.resource.group ? `${a.resource.resource}.${a.resource.group}` : a.resource.resource;
    const what = a.name ? `${gr} "${a.name}"` : gr;
    throw new ApiError(403, 'Forbidden', `${what} is forbidden: ${m.error}`, { name: a.name || undefined, group: a.resource.group || undefined, kind: a.resource.resource });
  }
  return m.matches;
}
