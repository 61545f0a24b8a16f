import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPolicy } from '../cli/policy.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

test('portcullis policy test policies/casbin: the examples decide as their tests expect, naming the line', async () => {
  let out = '';
  const code = await runPolicy(['test', join(repoRoot, 'policies', 'casbin')], (s) => (out += s), repoRoot);
  assert.equal(code, 0, out);
  assert.match(out, /ok {4}deny-list {2}carl \[contractors\] list secrets -n default {2}deny policies\/casbin\/deny-list\/policy\.csv:4\n/);
  assert.match(out, /ok {4}time-of-day {2}dee \[deployers\] delete deployments\.apps -n web at 2026-12-11T16:30:00Z {2}deny policies\/casbin\/time-of-day\/policy\.csv:7\n/);
  const summary = /(\d+) cases: (\d+) passed, 0 failed\n$/.exec(out);
  assert.ok(summary && summary[1] === summary[2] && Number(summary[1]) >= 15, out);
});

function fixture(test: string, policy = 'p, group:dev, get, pods\np, user:bob, *, pods\n'): string {
  const dir = mkdtempSync(join(tmpdir(), 'casbin-test-'));
  writeFileSync(join(dir, 'model.conf'), '[request_definition]\nr = sub, verb, resource\n[policy_definition]\np = sub, verb, resource\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub && (p.verb == "*" || r.verb == p.verb) && r.resource == p.resource\n');
  writeFileSync(join(dir, 'policy.csv'), policy);
  writeFileSync(join(dir, 'portcullis-test.yaml'), `apiVersion: cli.portcullis.dev/v1alpha1\nkind: CasbinTest\nmetadata: {name: t}\nmodel: model.conf\npolicy: policy.csv\n${test}`);
  return dir;
}

test('a wrong decision or a wrong line fails the run (exit 1) with what was wanted and what came', async () => {
  const dir = fixture(
    [
      'requests:',
      '- {user: carl, groups: [dev], verb: get, resource: pods, expect: allow, line: 1}',
      '- {user: bob, verb: get, resource: pods, expect: allow, line: 1}',
      '- {user: eve, verb: get, resource: pods, expect: allow}',
      '- {user: eve, verb: get, resource: pods, expect: no-opinion}',
      '',
    ].join('\n'),
  );
  let out = '';
  assert.equal(await runPolicy(['test', dir], (s) => (out += s), dir), 1, out);
  assert.match(out, /ok {4}t {2}carl \[dev\] get pods {2}allow policy\.csv:1\n/);
  assert.match(out, /FAIL {2}t {2}bob get pods {2}want allow line 1, got allow policy\.csv:2\n {8}Casbin: allowed by policy\.csv:2 \(p, user:bob, \*, pods\) for user:bob\n/);
  assert.match(out, /FAIL {2}t {2}eve get pods {2}want allow, got no-opinion\n/);
  assert.match(out, /4 cases: 2 passed, 2 failed\n$/);
});

test('read strictly: unknown fields, bad expectations, a bad policy line and a missing time are errors', async () => {
  const run = (dir: string) => runPolicy(['test', dir], () => {}, dir);
  await assert.rejects(run(fixture('requests:\n- {user: a, verb: get, resource: pods, expect: allow, verbs: [x]}\n')), /unknown field "requests\[0\]\.verbs"/);
  await assert.rejects(run(fixture('requests:\n- {user: a, verb: get, resource: pods, expect: allowed}\n')), /requests\[0\]\.expect must be one of allow, deny, no-opinion/);
  await assert.rejects(run(fixture('requests:\n- {user: a, verb: get, expect: deny}\n')), /needs exactly one of resource and path/);
  await assert.rejects(run(fixture('requests:\n- {user: a, verb: get, resource: pods, expect: allow}\n', 'p, group:dev, get\n')), /policy\.csv:1: p line has 2 fields; the model's p has 3/);
  const timed = mkdtempSync(join(tmpdir(), 'casbin-test-'));
  writeFileSync(join(timed, 'portcullis-test.yaml'), `apiVersion: cli.portcullis.dev/v1alpha1\nkind: CasbinTest\nmodel: ${join(repoRoot, 'policies/casbin/time-of-day/model.conf')}\npolicy: ${join(repoRoot, 'policies/casbin/time-of-day/policy.csv')}\nrequests:\n- {user: a, verb: get, resource: pods, expect: allow}\n`);
  await assert.rejects(run(timed), /requests\[0\]\.time is required: the model reads the time of the request/);
});
