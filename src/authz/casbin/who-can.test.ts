import assert from 'node:assert/strict';
import { test } from 'node:test';
import { casbinWhoCan } from './who-can.ts';
import { engineFor, exampleEngine } from './testing.ts';

const ctx = { nsLabels: {}, now: new Date('2026-12-11T16:30:00Z') };

test('who-can lists the named principals and "*" with the line that decides, allows and denies', async () => {
  const e = await exampleEngine('deny-list');
  const q = { verb: 'get', group: '', resource: 'secrets', subresource: '', namespace: 'default' };
  assert.deepEqual(casbinWhoCan(e, q, ctx).map((x) => [x.principal, x.decision, x.line.source]), [['group:contractors', 'deny', 'policy.csv:3']]);
  const del = casbinWhoCan(e, { ...q, verb: 'delete', resource: 'namespaces', namespace: '' }, ctx).map((x) => [x.principal, x.decision, x.line.source]);
  assert.deepEqual(del, [['group:contractors', 'deny', 'policy.csv:7'], ['*', 'deny', 'policy.csv:7']]);
  const t = await exampleEngine('time-of-day');
  const friday = casbinWhoCan(t, { verb: 'delete', group: 'apps', resource: 'deployments', subresource: '', namespace: 'default' }, ctx);
  assert.deepEqual(friday.map((x) => [x.principal, x.decision, x.line.source]), [['group:deployers', 'deny', 'policy.csv:7']]);
  const pods = casbinWhoCan(t, { verb: 'get', group: '', resource: 'pods', subresource: '', namespace: 'default' }, ctx);
  assert.deepEqual(pods.map((x) => [x.principal, x.decision]), [['group:oncall', 'allow']]);
});

test('principals reached through roles (g lines) are listed; a model without sub is refused', async () => {
  const e = await engineFor('[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb\n[role_definition]\ng = _, _\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = g(r.sub, p.sub) && r.verb == p.verb\n', 'p, viewer, get\ng, user:ann, viewer\ng, group:devs, viewer\n');
  assert.deepEqual(casbinWhoCan(e, { verb: 'get', group: '', resource: 'pods', subresource: '', namespace: '' }, ctx).map((x) => [x.principal, x.line.source]), [['group:devs', 'policy.csv:1'], ['user:ann', 'policy.csv:1']]);
  const noSub = await engineFor('[request_definition]\nr = user, verb\n[policy_definition]\np = user, verb\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.user == p.user && r.verb == p.verb\n', 'p, ann, get\n');
  assert.throws(() => casbinWhoCan(noSub, { verb: 'get', group: '', resource: 'pods', subresource: '', namespace: '' }, ctx), /who-can enumerates principals through the "sub" request token/);
});
