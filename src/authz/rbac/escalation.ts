/**
 * Escalation prevention for writes of roles and bindings (upstream pkg/registry/rbac/{role,
 * clusterrole,rolebinding,clusterrolebinding}/policybased and validation.ConfirmNoEscalation):
 * nobody grants, through a role or a binding, a permission they do not hold themselves, unless
 * they may `escalate` (roles) or `bind` (bindings) explicitly.
 */
import type { UserInfo } from '../../authn/types.ts';
import { GROUP_MASTERS } from '../masters.ts';
import type { AuthzAttributes, AuthzResult } from '../types.ts';
import { compactRules, compactString, covers, goQuoteList } from './covers.ts';
import { RBAC_GROUP, type BindingObject, type PolicyRule, type RoleObject, type RoleRef } from './types.ts';

/** What the check needs from RBAC: the caller's rules and the rules a role reference grants. */
export interface RuleSource {
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] };
  roleRefRules(ref: RoleRef, namespace: string): readonly PolicyRule[] | undefined;
}

export type EscalationRequest =
  | { kind: 'Role' | 'ClusterRole'; verb: 'create' | 'update'; namespace?: string; object: RoleObject; oldObject?: RoleObject }
  | { kind: 'RoleBinding' | 'ClusterRoleBinding'; verb: 'create' | 'update'; namespace?: string; object: BindingObject; oldObject?: BindingObject };

/** Forbidden: the REST layer answers 403 `<resource>.rbac.authorization.k8s.io "<name>" is forbidden: <message>`. */
export interface EscalationRefusal {
  code: 'Forbidden' | 'NotFound';
  /** Plural resource of the object being written (roles, clusterroles, ...). */
  resource: string;
  name: string;
  message: string;
}

/** Asks the whole authorizer chain, as upstream does for escalate and bind. */
export type AuthorizeFn = (a: AuthzAttributes) => Promise<AuthzResult>;

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

const PLURAL = { Role: 'roles', ClusterRole: 'clusterroles', RoleBinding: 'rolebindings', ClusterRoleBinding: 'clusterrolebindings' } as const;

export async function checkEscalation(src: RuleSource, authorize: AuthorizeFn, user: UserInfo, req: EscalationRequest): Promise<EscalationRefusal | undefined> {
  // system:masters is allowed everything, loopback included (upstream EscalationAllowed).
  if (user.groups.includes(GROUP_MASTERS)) return undefined;
  if (req.oldObject && onlyGCFieldsChanged(req.object, req.oldObject)) return undefined;
  const namespace = req.kind === 'Role' || req.kind === 'RoleBinding' ? (req.namespace ?? req.object.metadata.namespace ?? '') : '';
  const resource = PLURAL[req.kind];
  const name = req.object.metadata.name;
  const refuse = (code: EscalationRefusal['code'], message: string): EscalationRefusal => ({ code, resource, name, message });

  if (req.kind === 'Role' || req.kind === 'ClusterRole') {
    const role = req.object;
    // upstream asks with the request's name: empty on create, so only an unrestricted escalate helps there.
    const escalate = await allowed(authorize, user, 'escalate', resource, namespace, req.verb === 'create' ? '' : name, RBAC_GROUP);
    if (escalate) return undefined;
    const msg = noEscalationMessage(src, user, namespace, role.rules ?? []);
    if (msg) return refuse('Forbidden', msg);
    // An aggregation rule can gather anything (and an old one can block tightening): * on * only.
    if (req.kind === 'ClusterRole' && (hasAggregation(role) || (req.oldObject !== undefined && hasAggregation(req.oldObject as RoleObject)))) {
      if (noEscalationMessage(src, user, namespace, FULL_AUTHORITY)) return refuse('Forbidden', 'must have cluster-admin privileges to use the aggregationRule');
    }
    return undefined;
  }

  const ref = (req.object as BindingObject).roleRef;
  const bindResource = ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : undefined;
  if (bindResource && (await allowed(authorize, user, 'bind', bindResource, namespace, ref.name, ref.apiGroup ?? RBAC_GROUP))) return undefined;
  const rules = src.roleRefRules(ref, namespace);
  if (rules === undefined) {
    if (!bindResource) return refuse('NotFound', `unsupported role reference kind: ${JSON.stringify(ref.kind)}`);
    return { code: 'NotFound', resource: bindResource, name: ref.name, message: `${bindResource}.${RBAC_GROUP} ${JSON.stringify(ref.name)} not found` };
  }
  const msg = noEscalationMessage(src, user, namespace, rules);
  return msg ? refuse('Forbidden', msg) : undefined;
}

/** upstream ConfirmNoEscalation: undefined when the user's rules in the namespace cover `rules`. */
export function noEscalationMessage(src: RuleSource, user: UserInfo, namespace: string, rules: readonly PolicyRule[]): string | undefined {
  const owner = src.rulesFor(user, namespace);
  const { covered, missing } = covers(owner.rules, rules);
  if (covered) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (owner.errors.length > 0) msg += `; resolution errors: [${owner.errors.join(' ')}]`;
  return msg;
}

async function allowed(authorize: AuthorizeFn, user: UserInfo, verb: string, resource: string, namespace: string, name: string, apiGroup: string): Promise<boolean> {
  const r = await authorize({ user, verb, isResourceRequest: true, path: '', apiGroup, apiVersion: '*', namespace, resource, subresource: '', name });
  return r.decision === 'allow';
}

function hasAggregation(r: RoleObject): boolean {
  return r.aggregationRule != null;
}

/** upstream IsOnlyMutatingGCFields: an update touching only ownerReferences/finalizers is not a grant. */
function onlyGCFieldsChanged(obj: RoleObject | BindingObject, old: RoleObject | BindingObject): boolean {
  const strip = (o: RoleObject | BindingObject) => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _r, managedFields: _m, ...meta } = o.metadata;
    return canonical({ ...o, metadata: meta });
  };
  return strip(obj) === strip(old);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );
}
