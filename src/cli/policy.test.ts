import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPolicy } from './policy.ts';

const POLICY = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: team-label}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}
  validations:
  - expression: "'team' in object.metadata.?labels.orValue({})"
    messageExpression: "'configmap ' + object.metadata.name + ' needs a team label'"
    reason: Forbidden
  - expression: "oldObject == null || oldObject.metadata.?labels.orValue({}) == object.metadata.?labels.orValue({})"
    message: labels are frozen
`;
const binding = (name: string, actions: string, ns: string) => `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ${name}}
spec:
  policyName: team-label
  validationActions: ${actions}
  matchResources: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${ns}}}}
`;
const RESOURCES = `apiVersion: v1
kind: ConfigMap
metadata: {name: labelled, labels: {team: a}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bare}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bare, namespace: warned}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bare, namespace: audited}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: relabelled, labels: {team: b}}
`;
const OLD = `apiVersion: v1
kind: ConfigMap
metadata: {name: relabelled, labels: {team: a}}
`;

function dir(results: string, extra = ''): string {
  const d = mkdtempSync(join(tmpdir(), 'portcullis-policy-test-'));
  writeFileSync(join(d, 'policy.yaml'), POLICY);
  writeFileSync(join(d, 'bindings.yaml'), [binding('deny', '[Deny]', 'default'), binding('warn', '[Warn]', 'warned'), binding('audit', '[Audit]', 'audited')].join('---\n'));
  writeFileSync(join(d, 'resources.yaml'), RESOURCES);
  writeFileSync(join(d, 'old.yaml'), OLD);
  writeFileSync(
    join(d, 'portcullis-test.yaml'),
    `apiVersion: cli.portcullis.dev/v1alpha1
kind: PolicyTest
metadata: {name: t}
policies: [policy.yaml]
bindings: [bindings.yaml]
resources: [resources.yaml]
oldResources: [old.yaml]
${extra}results:
${results}`,
  );
  return d;
}

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runPolicy(argv, (s) => (out += s), '/');
  return { code, out };
}

test('policy test: pass, fail with message, warn, audit, and an UPDATE from oldResources', async () => {
  const d = dir(`- {policy: team-label, resources: [labelled], result: pass}
- {policy: team-label, resources: [default/bare], result: fail, message: "configmaps \\"bare\\" is forbidden: ValidatingAdmissionPolicy 'team-label' with binding 'deny' denied request: configmap bare needs a team label"}
- {policy: team-label, resources: [warned/bare], result: warn, message: "Validation failed for ValidatingAdmissionPolicy 'team-label' with binding 'warn': configmap bare needs"}
- {policy: team-label, resources: [audited/bare], result: audit, message: "configmap bare needs a team label"}
- {policy: team-label, kind: ConfigMap, resources: [relabelled], result: fail, message: labels are frozen}
`);
  const r = await run(['test', d]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^ {2}ok {4}team-label {2}ConfigMap warned\/bare {2}warn$/m);
  assert.match(r.out, /5 cases: 5 passed, 0 failed\n$/);
});

test('policy test: an expectation that is not met exits 1 and names the case, what was wanted and what came', async () => {
  const d = dir(`- {policy: team-label, resources: [labelled], result: pass}
- {policy: team-label, resources: [default/bare], result: pass}
- {policy: team-label, resources: [warned/bare], result: warn, message: "a message it does not have"}
- {policy: no-such-policy, resources: [labelled], result: pass}
- {policy: team-label, resources: [missing], result: fail}
- {policy: team-label, resources: [bare], result: fail}
`);
  const r = await run(['test', d]);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /^ {2}FAIL {2}team-label {2}ConfigMap default\/bare {2}want pass, got fail\n {8}configmaps "bare" is forbidden: .*needs a team label$/m);
  assert.match(r.out, /^ {2}FAIL {2}team-label {2}ConfigMap warned\/bare {2}want warn "a message it does not have", got warn$/m);
  assert.match(r.out, /FAIL {2}no-such-policy {2}labelled {2}want pass, got error\n {8}no ValidatingAdmissionPolicy "no-such-policy" in this test/);
  assert.match(r.out, /FAIL {2}team-label {2}missing {2}want fail, got error\n {8}no such resource in this test/);
  assert.match(r.out, /FAIL {2}team-label {2}bare {2}want fail, got error\n {8}3 resources match; give kind or namespace\/name/);
  assert.match(r.out, /6 cases: 1 passed, 5 failed\n$/);
  const json = await run(['test', d, '-o', 'json']);
  assert.equal(JSON.parse(json.out).failed, 5);
});

test('policy test: the test file is read strictly', async () => {
  await assert.rejects(run(['test', dir('- {policy: team-label, resources: [labelled], result: allow}\n')]), /results\[0\]\.result must be one of pass, fail, warn, audit/);
  await assert.rejects(run(['test', dir('- {policy: team-label, resource: [labelled], result: pass}\n')]), /unknown field "results\[0\]\.resource"/);
  await assert.rejects(run(['test', dir('- {policy: team-label, resources: [labelled], result: pass}\n', 'polices: [x.yaml]\n')]), /unknown field "polices"/);
  await assert.rejects(run(['test', mkdtempSync(join(tmpdir(), 'portcullis-policy-empty-'))]), /no portcullis-test\.yaml under/);
});

test('the portcullis binary: policy test exits 1 on a mismatch', () => {
  const d = dir('- {policy: team-label, resources: [default/bare], result: pass}\n');
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');
  const r = spawnSync(bin, ['policy', 'test', d], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /FAIL {2}team-label {2}ConfigMap default\/bare {2}want pass, got fail/);
});

test('policy eval: each policy verdict with its message; a policy without binding is bound with Deny; exit 1 when denied', async () => {
  const d = dir('- {policy: team-label, resources: [labelled], result: pass}\n');
  const r = await run(['eval', '-f', join(d, 'resources.yaml'), '--policy', join(d, 'policy.yaml')]);
  assert.equal(r.code, 1);
  assert.match(r.out, /^ConfigMap default\/labelled {2}team-label {2}pass$/m);
  assert.match(r.out, /^ConfigMap default\/bare {2}team-label {2}fail\n {4}configmaps "bare" is forbidden: ValidatingAdmissionPolicy 'team-label' with binding 'team-label-eval' denied request: configmap bare needs a team label$/m);
  writeFileSync(join(d, 'one.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, labels: {team: x}}\n');
  const ok = await run(['eval', '-f', join(d, 'one.yaml'), '--policy', join(d, 'policy.yaml'), '-o', 'json']);
  assert.equal(ok.code, 0);
  assert.deepEqual(JSON.parse(ok.out), [{ resource: 'ConfigMap default/ok', policy: 'team-label', result: 'pass', messages: [] }]);
  await assert.rejects(run(['eval', '-f', join(d, 'one.yaml')]), /usage: portcullis policy/);
});
