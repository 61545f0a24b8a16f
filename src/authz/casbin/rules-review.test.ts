import assert from 'node:assert/strict';
import { test } from 'node:test';
import { casbinRulesReview } from './rules-review.ts';
import { engineFor, exampleEngine } from './testing.ts';

const MON_10 = new Date('2026-12-07T10:00:00Z');

test('ABAC by labels: the lines whose principal and selector apply, as rules', async () => {
  const e = await exampleEngine('abac-namespace-labels');
  const ann = { username: 'ann', groups: ['team-a'] };
  assert.deepEqual(casbinRulesReview(e, ann, 'a1', { nsLabels: { team: 'a' }, now: MON_10 }), {
    resourceRules: [
      { verbs: ['*'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['*'], apiGroups: ['apps'], resources: ['deployments'] },
      { verbs: ['get'], apiGroups: [''], resources: ['configmaps'] },
    ],
    nonResourceRules: [],
    incomplete: false,
  });
  assert.deepEqual(casbinRulesReview(e, ann, 'b1', { nsLabels: { team: 'b' }, now: MON_10 }).resourceRules, []);
});

test('time of day: the windows open now; deny lines that apply make the list incomplete', async () => {
  const e = await exampleEngine('time-of-day');
  const dee = { username: 'dee', groups: ['deployers'] };
  assert.deepEqual(casbinRulesReview(e, dee, 'default', { nsLabels: {}, now: MON_10 }), { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['deployments'] }], nonResourceRules: [], incomplete: false });
  const fri = casbinRulesReview(e, dee, 'default', { nsLabels: {}, now: new Date('2026-12-11T16:30:00Z') });
  assert.deepEqual([fri.resourceRules.length, fri.incomplete, fri.evaluationError], [1, true, 'Casbin: deny lines apply and are not shown as rules']);
});

test('lines with a function of what, and models not compiled, are reported as incomplete', async () => {
  const e = await engineFor('[request_definition]\nr = sub, path\n[policy_definition]\np = sub, path\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub && keyMatch(r.path, p.path)\n', 'p, user:ann, /healthz/*\n');
  const s = casbinRulesReview(e, { username: 'ann', groups: [] }, '', { nsLabels: {}, now: MON_10 });
  assert.deepEqual([s.incomplete, s.evaluationError], [true, "Casbin: policy.csv:1 matches through a function of the request's path and is not listed"]);
  const exact = await engineFor('[request_definition]\nr = sub, verb, path\n[policy_definition]\np = sub, verb, path\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub && r.verb == p.verb && r.path == p.path\n', 'p, group:probes, get, /healthz\n');
  assert.deepEqual(casbinRulesReview(exact, { username: 'x', groups: ['probes'] }, '', { nsLabels: {}, now: MON_10 }).nonResourceRules, [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]);
  const roles = await engineFor('[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb\n[role_definition]\ng = _, _\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = g(r.sub, p.sub) && r.verb == p.verb\n', 'p, viewer, get\n');
  assert.match(casbinRulesReview(roles, { username: 'x', groups: [] }, '', { nsLabels: {}, now: MON_10 }).evaluationError ?? '', /rules are listed for models compiled to an index only/);
});
