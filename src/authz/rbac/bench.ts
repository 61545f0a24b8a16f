/**
 * Micro-benchmark of RBAC decisions: the compiled index next to casbin's enforce() on the same
 * objects (casbin on a small sample only: it scans every policy line per call). Reports, does
 * not assert. Call benchRbac() from bench/, or run this file: `node --import tsx src/authz/rbac/bench.ts`.
 */
import { pathToFileURL } from 'node:url';
import type { UserInfo } from '../../authn/types.ts';
import type { AuthzAttributes } from '../types.ts';
import { casbinAllows, casbinPolicy, newRbacEnforcer, type RbacObjects } from './casbin-spec.ts';
import { RbacIndex } from './rbac-index.ts';
import { binding, clusterRoleRef, group, resourceAttrs, role, roleRef, seededRandom, user } from './testing.ts';
import type { PolicyRule } from './types.ts';

export interface RbacBenchOptions {
  roleBindings?: number;
  rules?: number;
  decisions?: number;
  casbinSample?: number;
  /** Measured passes over the decisions (after one warm-up pass); the stats pool them all. */
  rounds?: number;
  seed?: number;
  /** Print the result as one JSON document on stdout (default true). */
  print?: boolean;
}

export interface RbacBenchResult {
  roleBindings: number;
  clusterRoleBindings: number;
  rules: number;
  casbinPolicyLines: number;
  /** Pooled over every round; `rounds` shows each pass, so a noisy one can be told apart. */
  index: { buildMs: number; decisions: number; allowed: number; p50Us: number; p99Us: number; maxUs: number; meanUs: number; rounds: { p50Us: number; p99Us: number }[] };
  casbin: { buildMs: number; decisions: number; p50Us: number; p99Us: number; meanUs: number };
  /** Decisions of the index and casbin compared on the casbin sample. */
  agreement: { compared: number; mismatches: number };
  targetP99Us: number;
}

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const GROUPS = ['', 'apps', 'batch', 'networking.k8s.io', 'example.com'];

function generate(o: Required<RbacBenchOptions>): { objs: RbacObjects; users: UserInfo[]; namespaces: string[] } {
  const rand = seededRandom(o.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const namespaces = Array.from({ length: Math.max(1, Math.floor(o.roleBindings / 10)) }, (_, i) => `ns-${i}`);
  const users: UserInfo[] = Array.from({ length: Math.max(1, Math.floor(o.roleBindings / 2)) }, (_, i) => ({
    username: `user-${i}`,
    groups: ['system:authenticated', `team-${i % 50}`],
  }));
  const resources = Array.from({ length: 200 }, (_, i) => `res${i}`);
  const rulesPerRole = Math.max(1, Math.round(o.rules / o.roleBindings));
  const rule = (): PolicyRule => {
    const r: PolicyRule = { verbs: [VERBS[int(VERBS.length)]!], apiGroups: [GROUPS[int(GROUPS.length)]!], resources: [resources[int(resources.length)]!] };
    if (rand() < 0.1) r.resourceNames = [`obj-${int(10)}`];
    return r;
  };
  // One Role per RoleBinding, in the binding's namespace: 10k bindings × rulesPerRole rules.
  const roles = Array.from({ length: o.roleBindings }, (_, i) => role(`role-${i}`, Array.from({ length: rulesPerRole }, rule), namespaces[i % namespaces.length]));
  const roleBindings = roles.map((r, i) => {
    const subjects = rand() < 0.8 ? [user(users[int(users.length)]!.username)] : [group(`team-${int(50)}`)];
    return binding(`rb-${i}`, roleRef(r.metadata.name), subjects, r.metadata.namespace);
  });
  const clusterRoles = [role('discovery', [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version'] }]), role('reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['res0'] }])];
  const clusterRoleBindings = [binding('discovery', clusterRoleRef('discovery'), [group('system:authenticated')]), binding('reader', clusterRoleRef('reader'), [group('team-7')])];
  return { objs: { roles, clusterRoles, roleBindings, clusterRoleBindings }, users, namespaces };
}

/** A request as compact numbers; materialize() builds it afresh, as request parsing would. */
interface Spec {
  user: number;
  team: number;
  verb: number;
  group: number;
  res: number;
  ns: number;
  /** -1: no name. */
  obj: number;
}

function specs(n: number, users: number, namespaces: number, seed: number): Spec[] {
  const rand = seededRandom(seed + 1);
  const int = (k: number) => Math.floor(rand() * k);
  return Array.from({ length: n }, () => {
    const user = int(users);
    return { user, team: user % 50, verb: int(VERBS.length), group: int(GROUPS.length), res: int(200), ns: int(namespaces), obj: rand() < 0.5 ? int(10) : -1 };
  });
}

/**
 * Fresh strings and objects, as the pipeline hands the authorizer a just-parsed request; the
 * index itself stays cold across 10k bindings (each request hits a random one).
 */
function materialize(s: Spec): AuthzAttributes {
  const u: UserInfo = { username: `user-${s.user}`, groups: s.team < 0 ? ['system:authenticated'] : ['system:authenticated', `team-${s.team}`] };
  return resourceAttrs(u, VERBS[s.verb]!, GROUPS[s.group]!, `res${s.res}`, { namespace: `ns-${s.ns}`, name: s.obj < 0 ? '' : `obj-${s.obj}` });
}

export async function benchRbac(opts: RbacBenchOptions = {}): Promise<RbacBenchResult> {
  const o: Required<RbacBenchOptions> = { roleBindings: 10_000, rules: 100_000, decisions: 200_000, casbinSample: 20, rounds: 5, seed: 42, print: true, ...opts };
  const { objs, users, namespaces } = generate(o);

  let t = performance.now();
  const idx = new RbacIndex();
  objs.roles.forEach((r) => idx.setRole(r));
  objs.clusterRoles.forEach((r) => idx.setClusterRole(r));
  objs.roleBindings.forEach((b) => idx.setBinding('RoleBinding', b));
  objs.clusterRoleBindings.forEach((b) => idx.setBinding('ClusterRoleBinding', b));
  const indexBuildMs = performance.now() - t;

  // Half the requests are what a bound user may do (allows), half random (mostly no opinion).
  const reqs = specs(o.decisions, users.length, namespaces.length, o.seed);
  const bound = objs.roleBindings.filter((b) => b.subjects![0]!.kind === 'User');
  for (let i = 0; i < reqs.length; i += 2) {
    const b = bound[i % bound.length]!;
    const r0 = objs.roles[Number(b.roleRef.name.slice(5))]!.rules![0]!;
    reqs[i] = {
      user: Number(b.subjects![0]!.name.slice(5)),
      team: -1,
      verb: VERBS.indexOf(r0.verbs[0]!),
      group: GROUPS.indexOf(r0.apiGroups![0]!),
      res: Number(r0.resources![0]!.slice(3)),
      ns: Number(b.metadata.namespace!.slice(3)),
      obj: r0.resourceNames ? Number(r0.resourceNames[0]!.slice(4)) : -1,
    };
  }

  // Warm-up: one pass over the same requests (built afresh), so the JIT has compiled the hot
  // path and the collector has finished with the build's garbage before anything is measured.
  for (let i = 0; i < reqs.length; i++) idx.authorize(materialize(reqs[i]!));
  const lat = new Float64Array(reqs.length * o.rounds);
  const rounds: { p50Us: number; p99Us: number }[] = [];
  let allowed = 0;
  for (let round = 0; round < o.rounds; round++) {
    const base = round * reqs.length;
    for (let i = 0; i < reqs.length; i++) {
      const a = materialize(reqs[i]!);
      // performance.now() allocates nothing (hrtime.bigint() would add GC work to what we measure).
      const s = performance.now();
      const r = idx.authorize(a);
      lat[base + i] = (performance.now() - s) * 1000;
      if (round === 0 && r.decision === 'allow') allowed++;
    }
    const rs = stats(lat.subarray(base, base + reqs.length));
    rounds.push({ p50Us: rs.p50, p99Us: rs.p99 });
  }
  const ix = stats(lat);

  t = performance.now();
  const enforcer = await newRbacEnforcer(objs);
  const casbinBuildMs = performance.now() - t;
  const sample = Array.from({ length: o.casbinSample }, (_, i) => materialize(reqs[Math.floor((i * reqs.length) / o.casbinSample)]!));
  const clat = new Float64Array(sample.length);
  let mismatches = 0;
  sample.forEach((a, i) => {
    const s = performance.now();
    const ok = casbinAllows(enforcer, a);
    clat[i] = (performance.now() - s) * 1000;
    if (ok !== (idx.authorize(a).decision === 'allow')) mismatches++;
  });
  const cs = stats(clat);

  const result: RbacBenchResult = {
    roleBindings: objs.roleBindings.length,
    clusterRoleBindings: objs.clusterRoleBindings.length,
    rules: objs.roles.reduce((n, r) => n + (r.rules ?? []).length, 0) + objs.clusterRoles.reduce((n, r) => n + (r.rules ?? []).length, 0),
    casbinPolicyLines: (() => {
      const p = casbinPolicy(objs);
      return p.p.length + p.p2.length;
    })(),
    index: { buildMs: round(indexBuildMs), decisions: lat.length, allowed: allowed * o.rounds, p50Us: ix.p50, p99Us: ix.p99, maxUs: ix.max, meanUs: ix.mean, rounds },
    casbin: { buildMs: round(casbinBuildMs), decisions: sample.length, p50Us: cs.p50, p99Us: cs.p99, meanUs: cs.mean },
    agreement: { compared: sample.length, mismatches },
    targetP99Us: 5,
  };
  if (o.print) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function stats(xs: Float64Array): { p50: number; p99: number; max: number; mean: number } {
  const s = Float64Array.from(xs).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { p50: round(at(50)), p99: round(at(99)), max: round(s[s.length - 1] ?? NaN), mean: round(mean) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchRbac();
