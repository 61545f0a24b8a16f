/**
 * The compiled RBAC state: principal → bindings (cluster-wide, or per namespace) → role slot →
 * compiled rules. Every change touches only the binding or role it concerns.
 */
import type { UserInfo } from '../../authn/types.ts';
import type { AuthzAttributes } from '../types.ts';
import { compileRules, findNonResourceRule, findResourceRule, newResourceQuery, resetResourceQuery, type CompiledRules, type ResourceQuery } from './compiled-rules.ts';
import { indexBinding, notFoundMessage, reportedSubject, type IndexedBinding, type Membership, type RoleSlot } from './indexed-binding.ts';
import { subjectPrincipal } from './subjects.ts';
import type { BindingKind, BindingObject, PolicyRule, RbacAuthzResult, RoleObject, RoleRef, Subject } from './types.ts';

/** The common answer, shared: RBAC never denies, and most requests match no binding of the user. */
const NO_OPINION: RbacAuthzResult = Object.freeze({ decision: 'no-opinion', reason: '' });

/** Arrays, not sets: iterating them allocates nothing; removal is rare and lists are short. */
interface PrincipalBindings {
  cluster: Membership[];
  byNamespace: Map<string, Membership[]>;
}

/** The request as the lookups need it; one instance per index, reused by every decision. */
interface Query extends ResourceQuery {
  isResource: boolean;
  path: string;
  missing: IndexedBinding[] | undefined;
  /** The allowing rule of the membership #scan returned. */
  rule: PolicyRule | undefined;
}

export class RbacIndex {
  /** 'namespace/name' → slot. */
  readonly #roles = new Map<string, RoleSlot>();
  /** name → slot. */
  readonly #clusterRoles = new Map<string, RoleSlot>();
  readonly #bindings = new Map<string, IndexedBinding>();
  readonly #users = new Map<string, PrincipalBindings>();
  readonly #groups = new Map<string, PrincipalBindings>();
  #epoch = 0;
  readonly #query: Query = { ...newResourceQuery(), isResource: true, path: '', missing: undefined, rule: undefined };

  setRole(role: RoleObject): void {
    slotFor(this.#roles, `${role.metadata.namespace ?? ''}/${role.metadata.name}`).rules = compileRules(role.rules ?? []);
  }

  deleteRole(namespace: string, name: string): void {
    emptySlot(this.#roles, `${namespace}/${name}`);
  }

  setClusterRole(role: RoleObject): void {
    slotFor(this.#clusterRoles, role.metadata.name).rules = compileRules(role.rules ?? []);
  }

  deleteClusterRole(name: string): void {
    emptySlot(this.#clusterRoles, name);
  }

  setBinding(kind: BindingKind, obj: BindingObject): void {
    const namespace = kind === 'RoleBinding' ? (obj.metadata.namespace ?? '') : '';
    this.deleteBinding(kind, namespace, obj.metadata.name);
    const key = roleKeyOf(obj.roleRef, namespace);
    const slot = key === undefined ? undefined : slotFor(this.#slots(obj.roleRef), key);
    if (slot) slot.refs++;
    const b = indexBinding(kind, obj, namespace, slot);
    this.#bindings.set(bindingId(kind, namespace, b.name), b);
    b.subjects.forEach((s, subjectIndex) => {
      const list = this.#listFor(s, b, true)!;
      // A binding naming one principal twice is listed once, under its first such subject.
      if (list[list.length - 1]?.binding !== b) list.push({ binding: b, subjectIndex });
    });
  }

  deleteBinding(kind: BindingKind, namespace: string, name: string): void {
    const id = bindingId(kind, namespace, name);
    const b = this.#bindings.get(id);
    if (b === undefined) return;
    this.#bindings.delete(id);
    if (b.slot !== undefined && --b.slot.refs === 0 && b.slot.rules === undefined) this.#slots(b.roleRef).delete(roleKeyOf(b.roleRef, namespace)!);
    for (const s of b.subjects) {
      const list = this.#listFor(s, b, false);
      const i = list?.findIndex((m) => m.binding === b) ?? -1;
      if (list !== undefined && i !== -1) list.splice(i, 1);
      if (list?.length === 0) this.#dropEmpty(s, b);
    }
  }

  /** Drop everything (a relist rebuilds from scratch). */
  clear(): void {
    for (const m of [this.#roles, this.#clusterRoles, this.#bindings, this.#users, this.#groups]) m.clear();
  }

  get size(): { roles: number; clusterRoles: number; bindings: number } {
    const live = (m: Map<string, RoleSlot>) => [...m.values()].filter((s) => s.rules !== undefined).length;
    return { roles: live(this.#roles), clusterRoles: live(this.#clusterRoles), bindings: this.#bindings.size };
  }

  /**
   * The hot path: no callbacks, no per-call arrays, one reused query; an allow allocates its
   * result and grant only (the reason text was built when the binding was indexed).
   */
  authorize(a: Readonly<AuthzAttributes>): RbacAuthzResult {
    const q = this.#query;
    q.isResource = a.isResourceRequest;
    resetResourceQuery(q, a.verb, a.apiGroup, a.resource, a.subresource, a.name);
    q.path = a.path;
    q.missing = undefined;
    const epoch = ++this.#epoch;
    const user = this.#users.get(a.user.username);
    const groups = a.user.groups;
    let hit: Membership | undefined;
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
      const b = hit.binding;
      const si = reportedSubject(hit, a.user);
      return { decision: 'allow', reason: b.reasons[si]!, grant: { binding: b.ref, roleRef: b.roleRef, subject: b.subjects[si]!, rule: q.rule! } };
    }
    const missing = q.missing as IndexedBinding[] | undefined;
    return missing === undefined ? NO_OPINION : { decision: 'no-opinion', reason: `RBAC: ${aggregate(missing.map(notFoundMessage))}` };
  }

  #scan(list: Membership[] | undefined, epoch: number): Membership | undefined {
    if (list === undefined) return undefined;
    const q = this.#query;
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      const b = m.binding;
      // A binding reached through two principals (user and group) is looked at once.
      if (b.mark === epoch) continue;
      b.mark = epoch;
      const role = b.slot?.rules;
      if (role === undefined) {
        (q.missing ??= []).push(b);
        continue;
      }
      const idx = q.isResource ? findResourceRule(role, q) : findNonResourceRule(role, q.verb, q.path);
      if (idx !== -1) {
        q.rule = role.rules[idx];
        return m;
      }
    }
    return undefined;
  }

  /** Every rule that applies to the user in the namespace ('' = cluster-wide only), as upstream's RulesFor. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    const principals: PrincipalBindings[] = [];
    const u = this.#users.get(user.username);
    if (u !== undefined) principals.push(u);
    for (const g of user.groups) {
      const e = this.#groups.get(g);
      if (e !== undefined) principals.push(e);
    }
    const lists = principals.map((p) => p.cluster);
    if (namespace) for (const p of principals) lists.push(p.byNamespace.get(namespace) ?? []);
    const seen = new Set<IndexedBinding>();
    for (const list of lists) {
      for (const { binding: b } of list) {
        if (seen.has(b)) continue;
        seen.add(b);
        const role = b.slot?.rules;
        if (role === undefined) errors.push(notFoundMessage(b));
        else rules.push(...role.rules);
      }
    }
    return { rules, errors };
  }

  /** The rules a role reference grants in a namespace, or undefined if the role does not exist. */
  roleRefRules(ref: RoleRef, namespace: string): readonly PolicyRule[] | undefined {
    const key = roleKeyOf(ref, namespace);
    return key === undefined ? undefined : this.#slots(ref).get(key)?.rules?.rules;
  }

  #slots(ref: RoleRef): Map<string, RoleSlot> {
    return ref.kind === 'Role' ? this.#roles : this.#clusterRoles;
  }

  #listFor(s: Subject, b: IndexedBinding, create: boolean): Membership[] | undefined {
    const p = subjectPrincipal(s, b.namespace);
    if (p === undefined) return create ? [] : undefined;
    const [map, key] = 'user' in p ? [this.#users, p.user] : [this.#groups, p.group];
    let entry = map.get(key);
    if (entry === undefined) {
      if (!create) return undefined;
      map.set(key, (entry = { cluster: [], byNamespace: new Map() }));
    }
    if (b.kind === 'ClusterRoleBinding') return entry.cluster;
    let list = entry.byNamespace.get(b.namespace);
    if (list === undefined && create) entry.byNamespace.set(b.namespace, (list = []));
    return list;
  }

  #dropEmpty(s: Subject, b: IndexedBinding): void {
    const p = subjectPrincipal(s, b.namespace);
    if (p === undefined) return;
    const [map, key] = 'user' in p ? [this.#users, p.user] : [this.#groups, p.group];
    const entry = map.get(key);
    if (entry === undefined) return;
    if (entry.byNamespace.get(b.namespace)?.length === 0) entry.byNamespace.delete(b.namespace);
    if (entry.cluster.length === 0 && entry.byNamespace.size === 0) map.delete(key);
  }
}

function roleKeyOf(ref: RoleRef, namespace: string): string | undefined {
  if (ref.kind === 'ClusterRole') return ref.name;
  // A Role reference in a ClusterRoleBinding looks in namespace '' and finds nothing, as upstream.
  if (ref.kind === 'Role') return `${namespace}/${ref.name}`;
  return undefined;
}

function slotFor(m: Map<string, RoleSlot>, key: string): RoleSlot {
  let s = m.get(key);
  if (s === undefined) m.set(key, (s = { rules: undefined, refs: 0 }));
  return s;
}

function emptySlot(m: Map<string, RoleSlot>, key: string): void {
  const s = m.get(key);
  if (s === undefined) return;
  s.rules = undefined;
  if (s.refs === 0) m.delete(key);
}

function bindingId(kind: BindingKind, namespace: string, name: string): string {
  return `${kind}:${namespace}/${name}`;
}

/** utilerrors.NewAggregate's text. */
function aggregate(msgs: string[]): string {
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}
