import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CasbinAuthorizer, casbinResult } from './authorizer.ts';
import { attrs, engineFor, exampleEngine } from './testing.ts';

const MON_10 = new Date('2026-12-07T10:00:00Z');
const FRI_18 = new Date('2026-12-11T18:30:00Z');
const SAT_10 = new Date('2026-12-12T10:00:00Z');

for (const compile of [true, false]) {
  const how = compile ? 'compiled' : "casbin's enforcer";
  test(`ABAC by namespace labels (${how})`, async () => {
    const e = await exampleEngine('abac-namespace-labels', { compile });
    assert.equal(e.compiled !== undefined, compile);
    const teamA = { nsLabels: { team: 'a' }, now: MON_10 };
    const d = e.decide(attrs('ann', ['team-a'], 'create', 'pods', 'a1'), teamA);
    assert.equal(d.decision, 'allow');
    assert.equal(d.line?.source, 'policy.csv:2');
    assert.equal(d.principal, 'group:team-a');
    assert.equal(e.decide(attrs('ann', ['team-a'], 'create', 'pods', 'b1'), { nsLabels: { team: 'b' }, now: MON_10 }).decision, 'no-opinion');
    assert.equal(e.decide(attrs('ann', ['team-a'], 'create', 'deployments', 'a1', { apiGroup: 'apps' }), teamA).line?.source, 'policy.csv:3');
    assert.equal(e.decide(attrs('ann', ['team-a'], 'delete', 'configmaps', 'a1'), teamA).decision, 'no-opinion');
    const prod = { nsLabels: { env: 'prod' }, now: MON_10 };
    assert.equal(e.decide(attrs('al', ['auditors'], 'list', 'pods', 'p'), prod).line?.source, 'policy.csv:6');
    assert.equal(e.decide(attrs('al', ['auditors'], 'list', 'pods', 'p'), { nsLabels: { env: 'prod', restricted: 'yes' }, now: MON_10 }).decision, 'no-opinion');
  });

  test(`deny list: deny or no opinion, never allow (${how})`, async () => {
    const e = await exampleEngine('deny-list', { compile });
    const ctx = { nsLabels: {}, now: MON_10 };
    const d = e.decide(attrs('carl', ['contractors'], 'get', 'secrets', 'default'), ctx);
    assert.deepEqual([d.decision, d.line?.source], ['deny', 'policy.csv:3']);
    assert.equal(e.decide(attrs('carl', ['contractors'], 'list', 'pods', 'kube-system'), ctx).line?.source, 'policy.csv:2');
    assert.equal(e.decide(attrs('dana', [], 'delete', 'namespaces', ''), ctx).line?.source, 'policy.csv:7');
    // casbin itself allows these (nothing denies); the mode has no opinion.
    assert.equal(e.decide(attrs('carl', ['contractors'], 'get', 'pods', 'default'), ctx).decision, 'no-opinion');
    assert.equal(e.decide(attrs('dana', [], 'get', 'secrets', 'default'), ctx).decision, 'no-opinion');
  });

  test(`time of day: windows, weekdays and a freeze (${how})`, async () => {
    const e = await exampleEngine('time-of-day', { compile });
    const dep = (verb: string, now: Date) => e.decide(attrs('dee', ['deployers'], verb, 'deployments', 'default'), { nsLabels: {}, now });
    assert.deepEqual([dep('update', MON_10).decision, dep('update', MON_10).line?.source], ['allow', 'policy.csv:2']);
    assert.equal(dep('update', SAT_10).decision, 'no-opinion');
    assert.equal(dep('update', FRI_18).decision, 'no-opinion');
    assert.deepEqual([dep('delete', FRI_18).decision, dep('delete', FRI_18).line?.source], ['deny', 'policy.csv:7']);
    const onCall = e.decide(attrs('ola', ['oncall'], 'get', 'pods', 'default'), { nsLabels: {}, now: new Date('2026-12-13T03:07:00Z') });
    assert.equal(onCall.decision, 'allow');
  });
}

test('a deny for one principal beats an allow for another', async () => {
  const e = await engineFor(
    '[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb, eft\n[policy_effect]\ne = some(where (p.eft == allow)) && !some(where (p.eft == deny))\n[matchers]\nm = r.sub == p.sub && r.verb == p.verb\n',
    'p, user:ann, get, allow\np, group:interns, get, deny\n',
  );
  const d = e.decide(attrs('ann', ['interns'], 'get', 'pods'), { nsLabels: {}, now: MON_10 });
  assert.deepEqual([d.decision, d.principal, d.line?.source], ['deny', 'group:interns', 'policy.csv:2']);
  assert.equal(e.decide(attrs('ann', [], 'get', 'pods'), { nsLabels: {}, now: MON_10 }).decision, 'allow');
});

test('the reason names the file, line, its fields and the principal (the same from the index and the enforcer)', async () => {
  for (const compile of [true, false]) {
    const e = await exampleEngine('deny-list', { compile });
    const r = casbinResult(e.decide(attrs('carl', ['contractors'], 'get', 'secrets', 'default'), { nsLabels: {}, now: MON_10 }));
    assert.equal(r.decision, 'deny');
    assert.equal(r.reason, 'Casbin: denied by policy.csv:3 (p, group:contractors, *, get, secrets, deny) for group:contractors');
  }
  assert.deepEqual(casbinResult({ decision: 'no-opinion' }), { decision: 'no-opinion', reason: '' });
});

test('CasbinAuthorizer: the clock and the namespace labels are read when the model names them, and only then', async () => {
  let reads = 0;
  const clock = (d: Date) => () => {
    reads++;
    return d;
  };
  const deployers = attrs('dee', ['deployers'], 'update', 'deployments', 'default');
  const weekday = new CasbinAuthorizer(await exampleEngine('time-of-day'), { now: clock(MON_10) });
  assert.deepEqual(await weekday.authorize(deployers), { decision: 'allow', reason: 'Casbin: allowed by policy.csv:2 (p, group:deployers, 09:00, 17:00, ^(Mon|Tue|Wed|Thu|Fri)$, *, deployments, allow) for group:deployers' });
  assert.equal((await new CasbinAuthorizer(await exampleEngine('time-of-day'), { now: clock(SAT_10) }).authorize(deployers)).decision, 'no-opinion');
  assert.equal(reads, 2);
  const denyList = new CasbinAuthorizer(await exampleEngine('deny-list'), { now: clock(MON_10) });
  assert.equal((await denyList.authorize(attrs('carl', ['contractors'], 'get', 'secrets', 'default'))).decision, 'deny');
  assert.equal(reads, 2, 'a model without time or weekday does not read the clock');
  const asked: string[] = [];
  const labels = new CasbinAuthorizer(await exampleEngine('abac-namespace-labels'), { namespaceLabels: async (ns): Promise<Record<string, string>> => (asked.push(ns), ns === 'a1' ? { team: 'a' } : {}) });
  assert.equal((await labels.authorize(attrs('ann', ['team-a'], 'create', 'pods', 'a1'))).decision, 'allow');
  assert.equal((await labels.authorize(attrs('ann', ['team-a'], 'create', 'pods', 'b1'))).decision, 'no-opinion');
  assert.deepEqual(asked, ['a1', 'b1']);
  let refreshed = 0;
  const refreshing = new CasbinAuthorizer(await exampleEngine('deny-list'), { refresh: async () => void refreshed++ });
  assert.equal((await refreshing.authorize(attrs('carl', ['contractors'], 'get', 'secrets', 'default'))).decision, 'deny');
  assert.equal(refreshed, 1, 'a policy source is brought up to date before each decision');
  let up = true;
  const watched = new CasbinAuthorizer(await exampleEngine('deny-list'), { refresh: async () => void refreshed++, upToDate: () => up });
  assert.equal((await watched.authorize(attrs('carl', ['contractors'], 'get', 'secrets', 'default'))).decision, 'deny');
  assert.equal(refreshed, 1, 'nothing to wait for while the watch is up');
  up = false;
  assert.equal((await watched.authorize(attrs('carl', ['contractors'], 'get', 'secrets', 'default'))).decision, 'deny');
  assert.equal(refreshed, 2, 'a broken watch is brought back before the decision');
});

test('a decision that names no line allocates nothing: the same frozen result and settled promise each time', async () => {
  const az = new CasbinAuthorizer(await exampleEngine('deny-list'));
  const none = attrs('dana', [], 'get', 'secrets', 'default');
  const p = az.authorize(none);
  assert.equal(az.authorize(attrs('erin', ['devs'], 'get', 'pods', 'default')), p);
  const r = await p;
  assert.deepEqual(r, { decision: 'no-opinion', reason: '' });
  assert.ok(Object.isFrozen(r), 'shared by every caller: nobody may change it');
  assert.ok(Object.isFrozen(az.engine.decide(none, { nsLabels: {}, now: MON_10 })));
  // A named line still gets its own result.
  const deny = attrs('carl', ['contractors'], 'get', 'secrets', 'default');
  assert.notEqual(az.authorize(deny), az.authorize(deny));
  assert.equal((await az.authorize(deny)).decision, 'deny');
});
