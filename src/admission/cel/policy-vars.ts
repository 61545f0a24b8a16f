/**
 * The variables every admission policy expression sees for one request (upstream's plugin/cel
 * activation): object, oldObject, namespaceObject and authorizer, shared by all bindings of a
 * request, and `request` per matched resource. Used by ValidatingAdmissionPolicy and
 * MutatingAdmissionPolicy alike.
 */
import { toCelValue } from '../../api/crd/cel-value.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { AdmissionAttributes } from '../types.ts';
import { CelAuthorizer } from '../webhook/cel-authorizer.ts';
import { admissionRequestBase } from '../webhook/review.ts';
import { cachingAuthorizer } from './caching-authorizer.ts';
import type { MatchDeps, Matched } from './match-resources.ts';

/** Upstream's CreateNamespaceObject: the namespace without managed fields and owner references. */
export function namespaceObject(ns: Record<string, any> | undefined): Record<string, unknown> | null {
  if (!ns) return null;
  const m = ns.metadata ?? {};
  const meta: Record<string, unknown> = {};
  for (const k of ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'finalizers']) {
    if (m[k] !== undefined) meta[k] = m[k];
  }
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta, spec: ns.spec ?? {}, status: ns.status ?? {} };
}

/** object, oldObject, namespaceObject and authorizer for one request. */
export async function sharedPolicyVars(a: AdmissionAttributes, deps: MatchDeps, authorizer: Authorizer): Promise<Record<string, unknown>> {
  // The Namespace object itself is cluster-scoped for this purpose (upstream unsets its namespace).
  const nsName = a.kind.group === '' && a.kind.version === 'v1' && a.kind.kind === 'Namespace' ? '' : a.namespace;
  const ns = nsName ? await deps.namespace(nsName) : undefined;
  return {
    object: a.object === undefined ? null : toCelValue(undefined, a.object),
    oldObject: a.oldObject === undefined ? null : toCelValue(undefined, a.oldObject),
    namespaceObject: toCelValue(undefined, namespaceObject(ns)),
    authorizer: new CelAuthorizer(cachingAuthorizer(authorizer), a.user, { group: a.resource.group, resource: a.resource.resource, subresource: a.subresource, namespace: a.namespace, name: a.name }),
  };
}

/** The `request` variable: the AdmissionRequest, with the resource and kind the policy matched as. */
export function requestVar(a: AdmissionAttributes, m: Matched): unknown {
  return toCelValue(undefined, { ...admissionRequestBase(a), kind: { ...m.kind }, resource: { ...m.resource } });
}
