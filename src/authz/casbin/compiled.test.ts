import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCasbinModel } from './model.ts';
import { Util } from 'casbin';
import { CompiledIndex, type Explained } from './compiled.ts';
import { keyMatchStrings } from './packed-test.ts';
import type { PolicyLine } from './policy.ts';
import { principals, requestValues } from './request.ts';
import { attrs, engineFor, exampleEngine } from './testing.ts';
import type { CasbinEngine } from './engine.ts';

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USERS = ['ann', 'bob', 'carl', 'dana', 'dee', 'ola', 'al'];
const GROUPS = ['team-a', 'contractors', 'deployers', 'oncall', 'auditors', 'interns'];
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete'];
const RESOURCES = ['pods', 'secrets', 'deployments', 'configmaps', 'namespaces'];
const NAMESPACES = ['', 'default', 'kube-system', 'a1', 'p'];
const LABELS: Record<string, string>[] = [{}, { team: 'a' }, { team: 'b' }, { env: 'prod' }, { env: 'staging', restricted: 'y' }];

/** Compiled and enforcer decide alike and name the same line, for every principal of many requests. */
function agree(e: CasbinEngine, seed: number, n = 3000): void {
  const compiled = e.compiled;
  assert.ok(compiled, 'the model compiles');
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  for (let i = 0; i < n; i++) {
    const a = attrs(pick(USERS), GROUPS.filter(() => r() < 0.3), pick(VERBS), pick(RESOURCES), pick(NAMESPACES), { apiGroup: r() < 0.3 ? 'apps' : '' });
    const ctx = { nsLabels: pick(LABELS), now: new Date(Date.UTC(2026, 11, 7 + Math.floor(r() * 7), Math.floor(r() * 24), Math.floor(r() * 60))) };
    for (const sub of principals(a)) {
      const values = requestValues(e.model.requestTokens, a, sub, ctx);
      const want = e.enforceWithCasbin(values);
      const got: Explained = compiled.enforce(values);
      const gotLine: PolicyLine | undefined = got.line >= 0 ? e.lines.filter((l) => l.ptype === 'p')[got.line] : undefined;
      const gotDecision: string = gotLine ? (got.allowed ? 'allow' : 'deny') : 'no-opinion';
      assert.deepEqual([gotDecision, gotLine?.source], [want.decision, want.line?.source], `${JSON.stringify(values)}`);
    }
  }
}

for (const [i, name] of ['abac-namespace-labels', 'deny-list', 'time-of-day'].entries()) {
  test(`compiled index agrees with casbin's enforce: ${name}`, async () => agree(await exampleEngine(name), 17 + i));
}

test('compiled index agrees where "*" lines and exact lines interleave (the named line depends on order)', async () => {
  const e = await engineFor(
    '[request_definition]\nr = sub, verb, resource\n[policy_definition]\np = sub, verb, resource, eft\n[policy_effect]\ne = some(where (p.eft == allow)) && !some(where (p.eft == deny))\n[matchers]\nm = (r.sub == p.sub || p.sub == "*") && (p.verb == "*" || r.verb == p.verb) && keyMatch(r.resource, p.resource)\n',
    ['p, *, get, *, allow', 'p, group:team-a, *, pods, allow', 'p, *, delete, secrets, deny', 'p, user:ann, *, sec*, allow', 'p, group:interns, list, *, deny', 'p, *, watch, p*, allow'].join('\n'),
  );
  agree(e, 5);
});

test('models the index does not read fall back to the enforcer', async () => {
  const rbacish = loadCasbinModel('[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb\n[role_definition]\ng = _, _\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = g(r.sub, p.sub) && r.verb == p.verb\n', 'm.conf');
  assert.equal(CompiledIndex.compile(rbacish, [], {}), undefined);
  const negated = loadCasbinModel('[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub && r.verb != p.verb\n', 'm.conf');
  assert.equal(CompiledIndex.compile(negated, [], {}), undefined);
  // Roles through g: casbin's enforcer decides, with the line named all the same.
  const e = await engineFor('[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb\n[role_definition]\ng = _, _\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = g(r.sub, p.sub) && r.verb == p.verb\n', 'g, group:dev, developer\np, developer, get\n');
  assert.equal(e.compiled, undefined);
  const d = e.decide(attrs('x', ['dev'], 'get', 'pods'), { nsLabels: {}, now: new Date(0) });
  assert.deepEqual([d.decision, d.line?.source], ['allow', 'policy.csv:2']);
});

test('a priority field orders the lines as casbin loads them; the priority effect is decided by the enforcer', async () => {
  const model = (effect: string) => `[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb, priority, eft\n[policy_effect]\ne = ${effect}\n[matchers]\nm = r.sub == p.sub && r.verb == p.verb\n`;
  const policy = 'p, user:ann, get, 10, allow\np, group:interns, get, 1, deny\n';
  const prio = await engineFor(model('priority(p.eft) || deny'), policy);
  assert.equal(prio.compiled, undefined);
  const ctx = { nsLabels: {}, now: new Date(0) };
  const d = prio.decide(attrs('ann', ['interns'], 'get', 'pods'), ctx);
  // The principals are asked in turn: user:ann meets only its allow line; group:interns its deny (priority 1).
  assert.deepEqual([d.decision, d.line?.source], ['deny', 'policy.csv:2']);
  const both = await engineFor(model('some(where (p.eft == allow)) && !some(where (p.eft == deny))'), policy);
  assert.ok(both.compiled);
  agree(both, 9, 200);
});

/** decide() as casbin decides it: every principal through the enforcer, a deny for any wins, else the first allow. */
function casbinDecide(e: CasbinEngine, a: ReturnType<typeof attrs>, ctx: { nsLabels: Record<string, string>; now: Date }): [string, string | undefined, string | undefined] {
  let allow: [string, string | undefined, string | undefined] | undefined;
  for (const sub of principals(a)) {
    const d = e.enforceWithCasbin(requestValues(e.model.requestTokens, a, sub, ctx));
    if (d.decision === 'deny') return ['deny', d.line?.source, sub];
    if (d.decision === 'allow') allow ??= ['allow', d.line?.source, sub];
  }
  return allow ?? ['no-opinion', undefined, undefined];
}

test('decide() on the index, with principal ids instead of "user:"/"group:" strings, decides and names line and principal as casbin', async () => {
  const engines = [
    ...(await Promise.all(['abac-namespace-labels', 'deny-list', 'time-of-day'].map((n) => exampleEngine(n)))),
    // `sub` compared twice (two levels), and read by a function term (then strings are built).
    await engineFor('[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, owner, verb, eft\n[policy_effect]\ne = some(where (p.eft == allow)) && !some(where (p.eft == deny))\n[matchers]\nm = r.sub == p.sub && (p.owner == "*" || r.sub == p.owner) && r.verb == p.verb\n', 'p, user:ann, *, get, allow\np, group:team-a, group:team-a, get, allow\np, group:interns, *, get, deny\np, user:*, *, list, allow\np, group:team-a, user:ann, list, allow\n'),
    await engineFor('[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb, eft\n[policy_effect]\ne = some(where (p.eft == allow)) && !some(where (p.eft == deny))\n[matchers]\nm = keyMatch(r.sub, p.sub) && r.verb == p.verb\n', 'p, group:team-*, get, allow\np, user:ann, get, deny\np, user:*, list, allow\n'),
  ];
  const r = rng(3);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  for (const e of engines) {
    assert.ok(e.compiled);
    for (let i = 0; i < 2000; i++) {
      const a = attrs(pick([...USERS, '*', 'user:ann']), [...GROUPS, '*', 'group:team-a'].filter(() => r() < 0.3), pick([...VERBS, 'list']), pick(RESOURCES), pick(NAMESPACES), { apiGroup: r() < 0.3 ? 'apps' : '' });
      const ctx = { nsLabels: pick(LABELS), now: new Date(Date.UTC(2026, 11, 7 + Math.floor(r() * 7), Math.floor(r() * 24), Math.floor(r() * 60))) };
      const d = e.decide(a, ctx);
      assert.deepEqual([d.decision, d.line?.source, d.principal], casbinDecide(e, a, ctx), JSON.stringify(a));
    }
  }
});

test('keyMatchStrings is casbin\'s keyMatch', () => {
  const r = rng(11);
  const parts = ['', 'a', 'b', 'ab', '*', '/', 'res1', '*x'];
  for (let i = 0; i < 20000; i++) {
    const k1 = Array.from({ length: Math.floor(r() * 4) }, () => parts[Math.floor(r() * parts.length)]).join('');
    const k2 = Array.from({ length: Math.floor(r() * 4) }, () => parts[Math.floor(r() * parts.length)]).join('');
    assert.equal(keyMatchStrings(k1, k2), Util.keyMatchFunc(k1, k2), `${k1} ${k2}`);
  }
});

test('decide() starting below the root (per-principal entries, a policy large enough that the root splits on sub) decides as casbin', async () => {
  const r = rng(23);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const subs = [...USERS.map((u) => `user:${u}`), ...GROUPS.map((g) => `group:${g}`)];
  // Without repeated lines: casbin's explain gives a line's values, which name the first of equal lines.
  const policy = (wild: boolean) => [...new Set(Array.from({ length: 400 }, () => `p, ${wild && r() < 0.1 ? '*' : pick(subs)}, ${r() < 0.2 ? '*' : pick(NAMESPACES.filter(Boolean))}, ${r() < 0.2 ? '*' : pick(VERBS)}, ${r() < 0.2 ? 'p*' : pick(RESOURCES)}, ${r() < 0.15 ? 'deny' : 'allow'}`))].join('\n');
  const model = (sub: string) => `[request_definition]\nr = sub, namespace, verb, resource\n[policy_definition]\np = sub, namespace, verb, resource, eft\n[policy_effect]\ne = some(where (p.eft == allow)) && !some(where (p.eft == deny))\n[matchers]\nm = ${sub} && (p.namespace == "*" || r.namespace == p.namespace) && (p.verb == "*" || r.verb == p.verb) && keyMatch(r.resource, p.resource)\n`;
  // An exact sub (no "*" child at the root), and a wildcard sub (the root's "*" child is visited too).
  for (const [sub, wild] of [['r.sub == p.sub', false], ['(p.sub == "*" || r.sub == p.sub)', true]] as const) {
    const e = await engineFor(model(sub), policy(wild));
    assert.ok(e.compiled && e.compiled.rootRecord(-2) !== undefined, 'the root splits on sub');
    for (let i = 0; i < 3000; i++) {
      const a = attrs(pick([...USERS, 'nobody']), [...GROUPS, 'system:authenticated'].filter(() => r() < 0.3), pick(VERBS), pick(RESOURCES), pick(NAMESPACES));
      const ctx = { nsLabels: {}, now: new Date(0) };
      const d = e.decide(a, ctx);
      assert.deepEqual([d.decision, d.line?.source, d.principal], casbinDecide(e, a, ctx), JSON.stringify(a));
    }
  }
});
