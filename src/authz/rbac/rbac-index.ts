/**
 * The compiled RBAC state: principal → bindings (cluster-wide, or per namespace) → role →
 * compiled rules. Every change touches only the binding or role it concerns.
 */
import type { UserInfo } from '../../authn/types.ts';
import type { AuthzAttributes } from '../types.ts';
import { compileRules, findNonResourceRule, findResourceRule, type CompiledRules, type ResourceQuery } from './compiled-rules.ts';
import { describeSubject, firstApplyingSubject, q, subjectPrincipal } from './subjects.ts';
import type { BindingKind, BindingObject, PolicyRule, RbacAuthzResult, RbacGrant, RoleObject, RoleRef, Subject } from './types.ts';

interface IndexedBinding {
  kind: BindingKind;
  name: string;
  /** '' for a ClusterRoleBinding. */
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
  /** Key into roles ('ns/name') or clusterRoles (name); undefined for an unsupported kind. */
  roleKey: string | undefined;
  /** The visit that last saw this binding: dedupes without allocating a set per decision. */
  mark: number;
}

/** Arrays, not sets: iterating them allocates nothing; removal is rare and lists are short. */
interface PrincipalBindings {
  cluster: IndexedBinding[];
  byNamespace: Map<string, IndexedBinding[]>;
}

interface Hit {
  binding: IndexedBinding;
  rule: PolicyRule;
}

/** The request as the lookups need it; one instance per index, reused by every decision. */
interface Query extends ResourceQuery {
  isResource: boolean;
  path: string;
  missing: IndexedBinding[] | undefined;
}

export class RbacIndex {
  readonly #roles = new Map<string, CompiledRules>();
  readonly #clusterRoles = new Map<string, CompiledRules>();
  readonly #bindings = new Map<string, IndexedBinding>();
  readonly #users = new Map<string, PrincipalBindings>();
  readonly #groups = new Map<string, PrincipalBindings>();
  #epoch = 0;
  readonly #query: Query = { isResource: true, verb: '', group: '', combined: '', starSub: undefined, name: '', path: '', missing: undefined };

  setRole(role: RoleObject): void {
    this.#roles.set(`${role.metadata.namespace ?? ''}/${role.metadata.name}`, compileRules(role.rules ?? []));
  }

  deleteRole(namespace: string, name: string): void {
    this.#roles.delete(`${namespace}/${name}`);
  }

  setClusterRole(role: RoleObject): void {
    this.#clusterRoles.set(role.metadata.name, compileRules(role.rules ?? []));
  }

  deleteClusterRole(name: string): void {
    this.#clusterRoles.delete(name);
  }

  setBinding(kind: BindingKind, obj: BindingObject): void {
    const namespace = kind === 'RoleBinding' ? (obj.metadata.namespace ?? '') : '';
    this.deleteBinding(kind, namespace, obj.metadata.name);
    const b: IndexedBinding = {
      kind,
      name: obj.metadata.name,
      namespace,
      roleRef: obj.roleRef,
      subjects: obj.subjects ?? [],
      roleKey: roleKeyOf(obj.roleRef, namespace),
      mark: 0,
    };
    this.#bindings.set(bindingId(kind, namespace, b.name), b);
    for (const s of b.subjects) {
      const p = subjectPrincipal(s, namespace);
      if (p === undefined) continue;
      const entry = 'user' in p ? getOrCreatePrincipal(this.#users, p.user) : getOrCreatePrincipal(this.#groups, p.group);
      if (kind === 'ClusterRoleBinding') addOnce(entry.cluster, b);
      else {
        let list = entry.byNamespace.get(namespace);
        if (list === undefined) entry.byNamespace.set(namespace, (list = []));
        addOnce(list, b);
      }
    }
  }

  deleteBinding(kind: BindingKind, namespace: string, name: string): void {
    const id = bindingId(kind, namespace, name);
    const b = this.#bindings.get(id);
    if (b === undefined) return;
    this.#bindings.delete(id);
    for (const s of b.subjects) {
      const p = subjectPrincipal(s, b.namespace);
      if (p === undefined) continue;
      const [map, key] = 'user' in p ? [this.#users, p.user] : [this.#groups, p.group];
      const entry = map.get(key);
      if (entry === undefined) continue;
      if (kind === 'ClusterRoleBinding') remove(entry.cluster, b);
      else {
        const list = entry.byNamespace.get(b.namespace);
        if (list !== undefined && remove(list, b) === 0) entry.byNamespace.delete(b.namespace);
      }
      if (entry.cluster.length === 0 && entry.byNamespace.size === 0) map.delete(key);
    }
  }

  /** Drop everything (a relist rebuilds from scratch). */
  clear(): void {
    for (const m of [this.#roles, this.#clusterRoles, this.#bindings, this.#users, this.#groups]) m.clear();
  }

  get size(): { roles: number; clusterRoles: number; bindings: number } {
    return { roles: this.#roles.size, clusterRoles: this.#clusterRoles.size, bindings: this.#bindings.size };
  }

  /**
   * The hot path: no callbacks, no per-call arrays or sets, one reused query; allocation only
   * for an allow's grant and reason (and for the rare missing-role report).
   */
  authorize(a: Readonly<AuthzAttributes>): RbacAuthzResult {
    const q = this.#query;
    q.isResource = a.isResourceRequest;
    q.verb = a.verb;
    q.group = a.apiGroup;
    q.combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    q.starSub = a.subresource ? `*/${a.subresource}` : undefined;
    q.name = a.name;
    q.path = a.path;
    q.missing = undefined;
    const epoch = ++this.#epoch;
    const user = this.#users.get(a.user.username);
    const groups = a.user.groups;
    let hit: Hit | undefined;
    // ClusterRoleBindings first, then the namespace's RoleBindings, as upstream visits them.
    if (user !== undefined) hit = this.#scan(user.cluster, epoch);
    for (let i = 0; hit === undefined && i < groups.length; i++) {
      const g = this.#groups.get(groups[i]!);
      if (g !== undefined) hit = this.#scan(g.cluster, epoch);
    }
    if (hit === undefined && a.namespace && a.isResourceRequest) {
      if (user !== undefined) hit = this.#scan(user.byNamespace.get(a.namespace), epoch);
      for (let i = 0; hit === undefined && i < groups.length; i++) {
        const g = this.#groups.get(groups[i]!);
        if (g !== undefined) hit = this.#scan(g.byNamespace.get(a.namespace), epoch);
      }
    }
    if (hit !== undefined) {
      const grant = grantOf(hit.binding, hit.rule, a.user);
      return { decision: 'allow', reason: `RBAC: allowed by ${describeGrant(grant)}`, grant };
    }
    const missing = q.missing as IndexedBinding[] | undefined;
    return { decision: 'no-opinion', reason: missing === undefined ? '' : `RBAC: ${aggregate(missing.map(notFoundMessage))}` };
  }

  #scan(list: IndexedBinding[] | undefined, epoch: number): Hit | undefined {
    if (list === undefined) return undefined;
    const q = this.#query;
    for (let i = 0; i < list.length; i++) {
      const b = list[i]!;
      // A binding reached through two principals (user and group) is looked at once.
      if (b.mark === epoch) continue;
      b.mark = epoch;
      const role = this.#roleOf(b);
      if (role === undefined) {
        (q.missing ??= []).push(b);
        continue;
      }
      const idx = q.isResource ? findResourceRule(role, q) : findNonResourceRule(role, q.verb, q.path);
      if (idx !== -1) return { binding: b, rule: role.rules[idx]! };
    }
    return undefined;
  }

  #roleOf(b: IndexedBinding): CompiledRules | undefined {
    const key = b.roleKey;
    if (key === undefined) return undefined;
    return b.roleRef.kind === 'Role' ? this.#roles.get(key) : this.#clusterRoles.get(key);
  }

  /** Every rule that applies to the user in the namespace ('' = cluster-wide only), as upstream's RulesFor. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.#visit(user, namespace, (b, role) => {
      if (role === undefined) errors.push(notFoundMessage(b));
      else rules.push(...role.rules);
    });
    return { rules, errors };
  }

  /** The rules a role reference grants in a namespace, or undefined if the role does not exist. */
  roleRefRules(ref: RoleRef, namespace: string): readonly PolicyRule[] | undefined {
    const key = roleKeyOf(ref, namespace);
    if (key === undefined) return undefined;
    return (ref.kind === 'Role' ? this.#roles : this.#clusterRoles).get(key)?.rules;
  }

  /** ClusterRoleBindings first, then the namespace's RoleBindings, each binding once. */
  #visit(user: UserInfo, namespace: string, visit: (b: IndexedBinding, role: CompiledRules | undefined) => void): void {
    const principals: PrincipalBindings[] = [];
    const u = this.#users.get(user.username);
    if (u !== undefined) principals.push(u);
    for (const g of user.groups) {
      const e = this.#groups.get(g);
      if (e !== undefined) principals.push(e);
    }
    const seen = new Set<IndexedBinding>();
    const lists = principals.map((p) => p.cluster);
    if (namespace) for (const p of principals) lists.push(p.byNamespace.get(namespace) ?? []);
    for (const list of lists) {
      for (const b of list) {
        if (seen.has(b)) continue;
        seen.add(b);
        visit(b, this.#roleOf(b));
      }
    }
  }
}

function roleKeyOf(ref: RoleRef, namespace: string): string | undefined {
  if (ref.kind === 'ClusterRole') return ref.name;
  // A Role reference in a ClusterRoleBinding looks in namespace '' and finds nothing, as upstream.
  if (ref.kind === 'Role') return `${namespace}/${ref.name}`;
  return undefined;
}

function bindingId(kind: BindingKind, namespace: string, name: string): string {
  return `${kind}:${namespace}/${name}`;
}

function getOrCreatePrincipal(m: Map<string, PrincipalBindings>, key: string): PrincipalBindings {
  let e = m.get(key);
  if (e === undefined) m.set(key, (e = { cluster: [], byNamespace: new Map() }));
  return e;
}

/** A binding naming one principal twice is listed once. */
function addOnce(list: IndexedBinding[], b: IndexedBinding): void {
  if (list[list.length - 1] !== b) list.push(b);
}

/** Removes b, keeping order (upstream's visiting order is creation order here); returns the new length. */
function remove(list: IndexedBinding[], b: IndexedBinding): number {
  const i = list.indexOf(b);
  if (i !== -1) list.splice(i, 1);
  return list.length;
}

function grantOf(b: IndexedBinding, rule: PolicyRule, user: UserInfo): RbacGrant {
  const subject = firstApplyingSubject(b.subjects, user, b.namespace) ?? b.subjects[0]!;
  const binding = b.kind === 'RoleBinding' ? { kind: b.kind, name: b.name, namespace: b.namespace } : { kind: b.kind, name: b.name };
  return { binding, roleRef: b.roleRef, subject, rule };
}

/** `ClusterRoleBinding "x" of ClusterRole "y" to User "z"`; a RoleBinding is named "name/namespace". */
export function describeGrant(g: RbacGrant): string {
  const ns = g.binding.namespace ?? '';
  const name = g.binding.kind === 'RoleBinding' ? `${g.binding.name}/${ns}` : g.binding.name;
  return `${g.binding.kind} ${q(name)} of ${g.roleRef.kind} ${q(g.roleRef.name)} to ${describeSubject(g.subject, ns)}`;
}

function notFoundMessage(b: IndexedBinding): string {
  if (b.roleRef.kind === 'ClusterRole') return `clusterrole.rbac.authorization.k8s.io ${q(b.roleRef.name)} not found`;
  if (b.roleRef.kind === 'Role') return `role.rbac.authorization.k8s.io ${q(b.roleRef.name)} not found`;
  return `unsupported role reference kind: ${q(b.roleRef.kind)}`;
}

/** utilerrors.NewAggregate's text. */
function aggregate(msgs: string[]): string {
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}
