/**
 * The index must decide as casbin's enforce() does with policies/authz/rbac.conf, and as
 * upstream's linear walk (every applying binding, every rule) does, on random rule sets.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserInfo } from '../../authn/types.ts';
import type { AuthzAttributes } from '../types.ts';
import { casbinAllows, newRbacEnforcer, type RbacObjects } from './casbin-spec.ts';
import { RbacIndex } from './rbac-index.ts';
import { ruleAllows } from './rule-match.ts';
import { subjectApplies } from './subjects.ts';
import { binding, pathAttrs, resourceAttrs, role, seededRandom } from './testing.ts';
import type { PolicyRule, RoleRef, Subject } from './types.ts';

const NAMESPACES = ['ns1', 'ns2', 'ns3'];
const USERS = ['alice', 'bob', 'carol', 'system:serviceaccount:ns1:sa1', 'system:serviceaccount:ns2:sa1'];
const GROUPS = ['g1', 'g2', 'g3', 'system:authenticated'];
const VERBS = ['get', 'list', 'watch', 'create', 'delete', '*'];
const API_GROUPS = ['', 'apps', 'batch', '*'];
const RESOURCES = ['pods', 'deployments', 'jobs', 'pods/status', 'pods/log', 'deployments/scale', '*', '*/status', '*/scale', 'pods/*'];
const NAMES = ['a', 'b', '*'];
const URLS = ['/api', '/api/*', '/apis', '/healthz', '/healthz/*', '/version', '*', '/ap*', '/metrics'];
const PATHS = ['/api', '/api/v1', '/apis', '/apis/apps', '/healthz', '/healthz/etcd', '/version', '/metrics', '/other', '/ap'];
const REQ_RESOURCES: [string, string][] = [['pods', ''], ['pods', 'status'], ['pods', 'log'], ['pods', '*'], ['deployments', ''], ['deployments', 'scale'], ['deployments', 'status'], ['jobs', ''], ['secrets', '']];

function generate(rand: () => number): RbacObjects {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const some = <T>(xs: readonly T[], max: number): T[] => [...new Set(Array.from({ length: 1 + Math.floor(rand() * max) }, () => pick(xs)))];
  const rules = (namespaced: boolean): PolicyRule[] =>
    Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
      if (!namespaced && rand() < 0.25) return { verbs: some(VERBS, 2), nonResourceURLs: some(URLS, 3) };
      const r: PolicyRule = { verbs: some(VERBS, 3), apiGroups: some(API_GROUPS, 2), resources: some(RESOURCES, 3) };
      if (rand() < 0.3) r.resourceNames = some(NAMES, 2);
      return r;
    });
  const subjects = (): Subject[] =>
    Array.from({ length: 1 + Math.floor(rand() * 3) }, (): Subject => {
      const k = rand();
      if (k < 0.4) return { kind: 'User', name: pick(USERS) };
      if (k < 0.75) return { kind: 'Group', name: pick(GROUPS) };
      return rand() < 0.5 ? { kind: 'ServiceAccount', name: 'sa1' } : { kind: 'ServiceAccount', name: 'sa1', namespace: pick(NAMESPACES) };
    });
  const clusterRoles = Array.from({ length: 6 }, (_, i) => role(`cr${i}`, rules(false)));
  const roles = NAMESPACES.flatMap((ns) => Array.from({ length: 2 }, (_, i) => role(`r${i}`, rules(true), ns)));
  // Some references point at roles that do not exist: they must grant nothing.
  const ref = (allowRole: boolean): RoleRef =>
    allowRole && rand() < 0.4 ? { kind: 'Role', name: `r${Math.floor(rand() * 3)}` } : { kind: 'ClusterRole', name: `cr${Math.floor(rand() * 7)}` };
  const roleBindings = Array.from({ length: 8 }, (_, i) => binding(`rb${i}`, ref(true), subjects(), pick(NAMESPACES)));
  const clusterRoleBindings = Array.from({ length: 4 }, (_, i) => binding(`crb${i}`, ref(rand() < 0.2), subjects()));
  return { roles, clusterRoles, roleBindings, clusterRoleBindings };
}

function request(rand: () => number): AuthzAttributes {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const user: UserInfo = { username: pick(USERS), groups: GROUPS.filter(() => rand() < 0.3) };
  const verb = pick(['get', 'list', 'watch', 'create', 'delete', 'patch']);
  if (rand() < 0.2) return pathAttrs(user, verb, pick(PATHS));
  const [resource, subresource] = pick(REQ_RESOURCES);
  const namespace = pick(['', ...NAMESPACES]);
  return resourceAttrs(user, verb, pick(['', 'apps', 'batch', 'other']), resource, { namespace, subresource, name: pick(['', 'a', 'b', 'c', '*']) });
}

/** upstream's VisitRulesFor + RuleAllows, without any index. */
function linearAllows(objs: RbacObjects, a: AuthzAttributes): boolean {
  const rulesOf = (ref: RoleRef, ns: string) =>
    ref.kind === 'ClusterRole'
      ? objs.clusterRoles.find((r) => r.metadata.name === ref.name)?.rules
      : objs.roles.find((r) => r.metadata.name === ref.name && r.metadata.namespace === ns)?.rules;
  for (const b of objs.clusterRoleBindings) {
    if ((b.subjects ?? []).some((s) => subjectApplies(s, a.user, '')) && (rulesOf(b.roleRef, '') ?? []).some((r) => ruleAllows(a, r))) return true;
  }
  if (!a.namespace) return false;
  for (const b of objs.roleBindings) {
    if (b.metadata.namespace !== a.namespace) continue;
    if ((b.subjects ?? []).some((s) => subjectApplies(s, a.user, a.namespace)) && (rulesOf(b.roleRef, a.namespace) ?? []).some((r) => ruleAllows(a, r))) return true;
  }
  return false;
}

describe('index agrees with casbin and with upstream\'s linear walk', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`random rule set, seed ${seed}`, async () => {
      const rand = seededRandom(seed);
      const objs = generate(rand);
      const idx = new RbacIndex();
      objs.roles.forEach((r) => idx.setRole(r));
      objs.clusterRoles.forEach((r) => idx.setClusterRole(r));
      objs.roleBindings.forEach((b) => idx.setBinding('RoleBinding', b));
      objs.clusterRoleBindings.forEach((b) => idx.setBinding('ClusterRoleBinding', b));
      const enforcer = await newRbacEnforcer(objs);
      let allowed = 0;
      for (let i = 0; i < 500; i++) {
        const a = request(rand);
        const got = idx.authorize(a);
        const want = casbinAllows(enforcer, a);
        assert.equal(got.decision === 'allow', want, `seed ${seed} request ${i}: ${JSON.stringify(a)} index=${got.decision} casbin=${want}`);
        assert.equal(want, linearAllows(objs, a), `casbin and upstream's walk disagree on ${JSON.stringify(a)}`);
        if (got.grant) assert.ok(ruleAllows(a, got.grant.rule), 'the reported rule allows the request');
        if (want) allowed++;
      }
      // The generator must exercise both outcomes, or the comparison proves little.
      assert.ok(allowed > 25 && allowed < 475, `allowed ${allowed} of 500`);
    });
  }
});

/**
 * Incremental updates (roles and bindings replaced, deleted and re-created, so role slots,
 * binding numbers and table entries are freed and reused) must leave the index deciding as
 * upstream's walk does over the objects that exist now.
 */
describe('index stays in agreement through random updates', () => {
  for (const seed of [11, 12, 13, 14]) {
    test(`churn, seed ${seed}`, () => {
      const rand = seededRandom(seed);
      const pool = generate(rand);
      const live: RbacObjects = { roles: [...pool.roles], clusterRoles: [...pool.clusterRoles], roleBindings: [...pool.roleBindings], clusterRoleBindings: [...pool.clusterRoleBindings] };
      const idx = new RbacIndex();
      live.roles.forEach((r) => idx.setRole(r));
      live.clusterRoles.forEach((r) => idx.setClusterRole(r));
      live.roleBindings.forEach((b) => idx.setBinding('RoleBinding', b));
      live.clusterRoleBindings.forEach((b) => idx.setBinding('ClusterRoleBinding', b));
      const kinds = ['roles', 'clusterRoles', 'roleBindings', 'clusterRoleBindings'] as const;
      for (let step = 0; step < 300; step++) {
        const kind = kinds[Math.floor(rand() * kinds.length)]!;
        // Take the object's next version from a fresh random set: same name, new rules or subjects.
        const fresh = generate(rand)[kind];
        const i = Math.floor(rand() * fresh.length);
        const next = fresh[i]!;
        const list = live[kind] as (typeof next)[];
        const at = list.findIndex((o) => o.metadata.name === next.metadata.name && o.metadata.namespace === next.metadata.namespace);
        const remove = at !== -1 && rand() < 0.4;
        if (remove) list.splice(at, 1);
        else if (at !== -1) list[at] = next;
        else list.push(next);
        const ns = next.metadata.namespace ?? '';
        if (kind === 'roles') remove ? idx.deleteRole(ns, next.metadata.name) : idx.setRole(next as RbacObjects['roles'][number]);
        if (kind === 'clusterRoles') remove ? idx.deleteClusterRole(next.metadata.name) : idx.setClusterRole(next as RbacObjects['clusterRoles'][number]);
        if (kind === 'roleBindings') remove ? idx.deleteBinding('RoleBinding', ns, next.metadata.name) : idx.setBinding('RoleBinding', next as RbacObjects['roleBindings'][number]);
        if (kind === 'clusterRoleBindings') remove ? idx.deleteBinding('ClusterRoleBinding', '', next.metadata.name) : idx.setBinding('ClusterRoleBinding', next as RbacObjects['clusterRoleBindings'][number]);
        for (let r = 0; r < 20; r++) {
          const a = request(rand);
          const got = idx.authorize(a);
          assert.equal(got.decision === 'allow', linearAllows(live, a), `seed ${seed} step ${step}: ${JSON.stringify(a)}`);
          if (got.grant) assert.ok(ruleAllows(a, got.grant.rule), 'the reported rule allows the request');
        }
      }
      assert.deepEqual(idx.size, { roles: live.roles.length, clusterRoles: live.clusterRoles.length, bindings: live.roleBindings.length + live.clusterRoleBindings.length });
    });
  }
});
