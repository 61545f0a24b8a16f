/**
 * The compiled RBAC state: principal → bindings (cluster-wide, or per namespace) → role slot →
 * rules. Every change touches only the binding or role it concerns.
 *
 * Laid out for the hot path. At 10k bindings and 100k rules a decision's time is mostly cache
 * and TLB misses, one per object visited in a large heap, so the per-decision data is kept in
 * few places. Names become small numbers through interners (small maps, warm in the cache);
 * (scope, principal) → binding numbers and (role, verb, group, resource, resource name) → first
 * rule are two flat tables (FlatTable); a binding's role slot and visit mark, and a slot's flags, are read
 * from Int32Arrays indexed by number. A decision that allows visits the binding object (for its
 * reason) and the rule, and no other object of the policy.
 */
import type { UserInfo } from '../../authn/types.ts';
import { aggregateMessage } from '../../util/aggregate-error.ts';
import type { AuthzAttributes } from '../types.ts';
import { compileRules, findNonResourceRule, findResourceRule, HAS_URLS, Interner, newResourceQuery, resetResourceQuery, RuleKeys, type Entry, type Found, type ResourceQuery, type UrlBucket } from './compiled-rules.ts';
import { FlatTable } from './flat-table.ts';
import { indexBinding, notFoundMessage, reportedSubject, type IndexedBinding } from './indexed-binding.ts';
import { addPrincipalBinding, groupNumber, principalBindings, removePrincipalBinding, SEVERAL, userNumber } from './principal-bindings.ts';
import { subjectPrincipal } from './subjects.ts';
import type { BindingKind, BindingObject, PolicyRule, RbacAuthzResult, RoleObject, RoleRef, Subject } from './types.ts';

/** The common answer, shared: RBAC never denies, and most requests match no binding of the user. */
const NO_OPINION: RbacAuthzResult = Object.freeze({ decision: 'no-opinion', reason: '' });

/** A slot's flag (besides compiled-rules' STAR_* and HAS_* bits): its role exists. */
const EXISTS = 1 << 10;

/**
 * Where a role's rules live. Bindings refer to the slot by number; a slot outlives its role
 * while bindings refer to it (a role created later fills the same slot, emptied while the role
 * is gone). The hot part (flags) is in #slotFlags; this is the rest.
 */
interface RoleSlot {
  /** The key in #roles or #clusterRoles. */
  key: string;
  cluster: boolean;
  rules: readonly PolicyRule[];
  /** What this role put into the rule table, to take it out again. */
  entries: Entry[];
  nonResource: Map<string, UrlBucket>;
  refs: number;
}

/** The request as the lookups need it; one instance per index, reused by every decision. */
interface Query extends ResourceQuery {
  isResource: boolean;
  path: string;
  missing: IndexedBinding[] | undefined;
  found: Found;
}

export class RbacIndex {
  /** 'namespace/name' → slot number. */
  readonly #roles = new Map<string, number>();
  /** name → slot number. */
  readonly #clusterRoles = new Map<string, number>();
  #slots: (RoleSlot | undefined)[] = [];
  #slotFlags = new Int32Array(1024);
  readonly #freeSlots: number[] = [];
  /** (slot, verb, group, resource, name or NO_NAME) → the slot's first rule granting it. */
  readonly #rulesTable = new FlatTable<PolicyRule>();

  /** 'kind:namespace/name' → binding. */
  readonly #bindings = new Map<string, IndexedBinding>();
  #byId: (IndexedBinding | undefined)[] = [];
  #bindingSlot = new Int32Array(1024);
  /** The decision that last visited each binding: dedupes without a set per decision. */
  #bindingMark = new Int32Array(1024);
  readonly #freeIds: number[] = [];
  /** Namespaces as numbers; '' (cluster-wide) is 0. */
  #scopes = new Interner('');
  #users = new Interner();
  #groups = new Interner();
  /**
   * (scope, principal, 0, 0, 0) → the principal's bindings there: ClusterRoleBindings in scope 0,
   * RoleBindings in their namespace's (principal-bindings.ts: one number, or SEVERAL and a list).
   */
  readonly #lists = new FlatTable<number[]>();
  /** The request's group numbers (-1: a group no binding names), reused by every decision. */
  #groupScratch = new Int32Array(16);

  #epoch = 0;
  readonly #query: Query = { ...newResourceQuery(new RuleKeys()), isResource: true, path: '', missing: undefined, found: { index: -1, rule: undefined } };

  setRole(role: RoleObject): void {
    this.#fill(this.#slotFor(false, `${role.metadata.namespace ?? ''}/${role.metadata.name}`), role.rules ?? []);
  }

  deleteRole(namespace: string, name: string): void {
    this.#empty(this.#roles, `${namespace}/${name}`);
  }

  setClusterRole(role: RoleObject): void {
    this.#fill(this.#slotFor(true, role.metadata.name), role.rules ?? []);
  }

  deleteClusterRole(name: string): void {
    this.#empty(this.#clusterRoles, name);
  }

  setBinding(kind: BindingKind, obj: BindingObject): void {
    const namespace = kind === 'RoleBinding' ? (obj.metadata.namespace ?? '') : '';
    this.deleteBinding(kind, namespace, obj.metadata.name);
    const key = roleKeyOf(obj.roleRef, namespace);
    const slot = key === undefined ? -1 : this.#slotFor(obj.roleRef.kind === 'ClusterRole', key);
    if (slot !== -1) this.#slots[slot]!.refs++;
    const id = this.#freeIds.pop() ?? this.#byId.length;
    const b = indexBinding(id, kind, obj, namespace, slot);
    this.#byId[id] = b;
    this.#bindingSlot = fit(this.#bindingSlot, id);
    this.#bindingMark = fit(this.#bindingMark, id);
    this.#bindingSlot[id] = slot;
    this.#bindingMark[id] = 0;
    this.#bindings.set(bindingId(kind, namespace, b.name), b);
    const scope = this.#scopes.intern(namespace);
    for (const s of b.subjects) {
      const p = this.#principal(s, b, true);
      if (p !== -1) addPrincipalBinding(this.#lists, scope, p, id);
    }
  }

  deleteBinding(kind: BindingKind, namespace: string, name: string): void {
    const bid = bindingId(kind, namespace, name);
    const b = this.#bindings.get(bid);
    if (b === undefined) return;
    this.#bindings.delete(bid);
    const scope = this.#scopes.find(namespace);
    for (const s of b.subjects) {
      const p = this.#principal(s, b, false);
      if (p !== -1) removePrincipalBinding(this.#lists, scope, p, b.id);
    }
    this.#byId[b.id] = undefined;
    this.#bindingSlot[b.id] = -1;
    this.#freeIds.push(b.id);
    const slot = b.slot === -1 ? undefined : this.#slots[b.slot];
    if (slot !== undefined && --slot.refs === 0 && (this.#slotFlags[b.slot]! & EXISTS) === 0) this.#freeSlot(b.slot);
  }

  /** Drop everything (a relist rebuilds from scratch). */
  clear(): void {
    for (const m of [this.#roles, this.#clusterRoles, this.#bindings]) m.clear();
    this.#slots = [];
    this.#slotFlags.fill(0);
    this.#freeSlots.length = 0;
    this.#rulesTable.clear();
    this.#lists.clear();
    this.#scopes = new Interner('');
    this.#users = new Interner();
    this.#groups = new Interner();
    this.#byId = [];
    this.#freeIds.length = 0;
    this.#query.keys = new RuleKeys();
  }

  get size(): { roles: number; clusterRoles: number; bindings: number } {
    const live = (m: Map<string, number>) => [...m.values()].filter((s) => (this.#slotFlags[s]! & EXISTS) !== 0).length;
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
    if (++this.#epoch === 0x7fffffff) {
      this.#bindingMark.fill(0);
      this.#epoch = 1;
    }
    const uid = this.#users.find(a.user.username);
    const user = uid === -1 ? -1 : userNumber(uid);
    const groups = a.user.groups;
    if (groups.length > this.#groupScratch.length) this.#groupScratch = new Int32Array(groups.length * 2);
    const gs = this.#groupScratch;
    for (let i = 0; i < groups.length; i++) {
      const gid = this.#groups.find(groups[i]!);
      gs[i] = gid === -1 ? -1 : groupNumber(gid);
    }
    // ClusterRoleBindings first, then the namespace's RoleBindings, as upstream visits them.
    let hit = this.#scan(0, user);
    for (let i = 0; hit === -1 && i < groups.length; i++) hit = this.#scan(0, gs[i]!);
    const scope = hit === -1 && a.namespace && a.isResourceRequest ? this.#scopes.find(a.namespace) : -1;
    if (scope > 0) {
      hit = this.#scan(scope, user);
      for (let i = 0; hit === -1 && i < groups.length; i++) hit = this.#scan(scope, gs[i]!);
    }
    if (hit !== -1) {
      const b = this.#byId[hit]!;
      const si = reportedSubject(b, a.user);
      const first = si === 0;
      return {
        decision: 'allow',
        reason: first ? b.reason0 : b.reasons[si]!,
        grant: { binding: b.ref, roleRef: b.roleRef, subject: first ? b.subject0! : b.subjects[si]!, rule: q.found.rule! },
      };
    }
    const missing = q.missing as IndexedBinding[] | undefined;
    return missing === undefined ? NO_OPINION : { decision: 'no-opinion', reason: `RBAC: ${aggregateMessage(missing.map(notFoundMessage))!}` };
  }

  /** The first binding of the principal in the scope that allows the query, or -1. */
  #scan(scope: number, principal: number): number {
    if (principal === -1) return -1;
    const lists = this.#lists;
    const e = lists.find(scope, principal, 0, 0, 0);
    if (e === -1) return -1;
    const one = lists.value(e);
    if (one !== SEVERAL) return this.#allows(one) ? one : -1;
    const all = lists.payload(e)!;
    for (let i = 0; i < all.length; i++) if (this.#allows(all[i]!)) return all[i]!;
    return -1;
  }

  /** Whether binding `id` allows the query; q.found holds the rule when it does. */
  #allows(id: number): boolean {
    // A binding reached through two principals (user and group) is looked at once.
    if (this.#bindingMark[id] === this.#epoch) return false;
    this.#bindingMark[id] = this.#epoch;
    const q = this.#query;
    const slot = this.#bindingSlot[id]!;
    const flags = slot === -1 ? 0 : this.#slotFlags[slot]!;
    if ((flags & EXISTS) === 0) {
      (q.missing ??= []).push(this.#byId[id]!);
      return false;
    }
    if (q.isResource) {
      findResourceRule(this.#rulesTable, slot, flags, q, q.found);
      return q.found.index !== -1;
    }
    if ((flags & HAS_URLS) === 0) return false;
    const s = this.#slots[slot]!;
    const idx = findNonResourceRule(s.nonResource, q.verb, q.path);
    if (idx === -1) return false;
    q.found.index = idx;
    q.found.rule = s.rules[idx];
    return true;
  }

  /** Every rule that applies to the user in the namespace ('' = cluster-wide only), as upstream's RulesFor. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    const principals = [userNumber(this.#users.find(user.username)), ...user.groups.map((g) => groupNumber(this.#groups.find(g)))].filter((p) => p >= 0);
    const scopes = [0];
    const ns = namespace ? this.#scopes.find(namespace) : -1;
    if (ns > 0) scopes.push(ns);
    const seen = new Set<number>();
    for (const scope of scopes) {
      for (const id of principals.flatMap((p) => principalBindings(this.#lists, scope, p))) {
        if (seen.has(id)) continue;
        seen.add(id);
        const b = this.#byId[id]!;
        const rs = this.#rulesOf(b.slot);
        if (rs === undefined) errors.push(notFoundMessage(b));
        else rules.push(...rs);
      }
    }
    return { rules, errors };
  }

  /** The rules a role reference grants in a namespace, or undefined if the role does not exist. */
  roleRefRules(ref: RoleRef, namespace: string): readonly PolicyRule[] | undefined {
    const key = roleKeyOf(ref, namespace);
    const slot = key === undefined ? undefined : (ref.kind === 'ClusterRole' ? this.#clusterRoles : this.#roles).get(key);
    return slot === undefined ? undefined : this.#rulesOf(slot);
  }

  #rulesOf(slot: number): readonly PolicyRule[] | undefined {
    return slot !== -1 && (this.#slotFlags[slot]! & EXISTS) !== 0 ? this.#slots[slot]!.rules : undefined;
  }

  #slotFor(cluster: boolean, key: string): number {
    const m = cluster ? this.#clusterRoles : this.#roles;
    let slot = m.get(key);
    if (slot === undefined) {
      slot = this.#freeSlots.pop() ?? this.#slots.length;
      this.#slots[slot] = { key, cluster, rules: [], entries: [], nonResource: new Map(), refs: 0 };
      this.#slotFlags = fit(this.#slotFlags, slot);
      this.#slotFlags[slot] = 0;
      m.set(key, slot);
    }
    return slot;
  }

  /** Compiles the role's rules into its slot, replacing what was there. */
  #fill(slot: number, rules: readonly PolicyRule[]): void {
    const s = this.#slots[slot]!;
    const c = compileRules(rules, this.#query.keys);
    this.#unload(slot);
    for (const { key, name, index } of c.entries) this.#rulesTable.set(slot, ...key, name, index, rules[index]!);
    s.rules = rules;
    s.entries = c.entries;
    s.nonResource = c.nonResource;
    this.#slotFlags[slot] = c.flags | EXISTS;
  }

  #unload(slot: number): void {
    const s = this.#slots[slot]!;
    for (const { key, name } of s.entries) this.#rulesTable.delete(slot, ...key, name);
    s.rules = [];
    s.entries = [];
    s.nonResource = new Map();
    this.#slotFlags[slot] = 0;
  }

  #empty(m: Map<string, number>, key: string): void {
    const slot = m.get(key);
    if (slot === undefined) return;
    this.#unload(slot);
    if (this.#slots[slot]!.refs === 0) this.#freeSlot(slot);
  }

  #freeSlot(slot: number): void {
    const s = this.#slots[slot]!;
    this.#unload(slot);
    (s.cluster ? this.#clusterRoles : this.#roles).delete(s.key);
    this.#slots[slot] = undefined;
    this.#freeSlots.push(slot);
  }

  /** The principal a binding's subject names, as a number; -1 if it names nobody (or, unless `add`, nobody listed). */
  #principal(s: Subject, b: IndexedBinding, add: boolean): number {
    const p = subjectPrincipal(s, b.namespace);
    if (p === undefined) return -1;
    const [interner, name, toNumber] = 'user' in p ? [this.#users, p.user, userNumber] : [this.#groups, p.group, groupNumber];
    const id = add ? interner.intern(name) : interner.find(name);
    return id === -1 ? -1 : toNumber(id);
  }
}

/** The array, grown (doubled) if `i` is past its end. */
function fit(a: Int32Array<ArrayBuffer>, i: number): Int32Array<ArrayBuffer> {
  if (i < a.length) return a;
  const b = new Int32Array(Math.max(a.length * 2, i + 1));
  b.set(a);
  return b;
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
