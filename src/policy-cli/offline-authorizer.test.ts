import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPolicy } from '../cli/policy.ts';

/** A policy whose check asks the authorizer: only those who may read Secrets in the namespace write its ConfigMaps. */
function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'policy-authorizer-'));
  writeFileSync(
    join(dir, 'policy.yaml'),
    `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: secret-readers-only}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
  validations:
  - expression: "authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('get').allowed()"
    message: only those who may read secrets may write config
`,
  );
  writeFileSync(
    join(dir, 'rbac.yaml'),
    `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: team-a}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}]
`,
  );
  writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf, namespace: team-a}\n');
  return dir;
}

const testFile = (dir: string, user: string, result: string, rbac = '[rbac.yaml]') =>
  writeFileSync(
    join(dir, 'portcullis-test.yaml'),
    `apiVersion: cli.portcullis.dev/v1alpha1
kind: PolicyTest
policies: [policy.yaml]
bindings: [binding.yaml]
resources: [cm.yaml]
rbac: ${rbac}
user: {username: ${user}}
results:
- {policy: secret-readers-only, resources: [conf], result: ${result}}
`,
  );

test('policy test: the rbac files decide the policies\' authorizer checks', async () => {
  const dir = fixture();
  writeFileSync(join(dir, 'binding.yaml'), 'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: secret-readers-only}\nspec: {policyName: secret-readers-only, validationActions: [Deny]}\n');
  const run = async (): Promise<[number, string]> => {
    let out = '';
    const code = await runPolicy(['test', dir], (s) => (out += s), dir);
    return [code, out];
  };
  testFile(dir, 'alice', 'pass');
  assert.deepEqual((await run())[0], 0);
  testFile(dir, 'bob', 'fail');
  assert.deepEqual((await run())[0], 0);
  // Without rbac every check is denied, alice included.
  testFile(dir, 'alice', 'fail', '[]');
  assert.deepEqual((await run())[0], 0);
});

test('policy eval --rbac: the same for eval (which asks as its default user, in system:authenticated)', async () => {
  const dir = fixture();
  writeFileSync(
    join(dir, 'rbac-all.yaml'),
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: everyone-reads, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:authenticated"}]
`,
  );
  const evaluate = async (rbac: string[]): Promise<[number, string]> => {
    let out = '';
    const code = await runPolicy(['eval', '-f', join(dir, 'cm.yaml'), '--policy', join(dir, 'policy.yaml'), ...rbac.flatMap((f) => ['--rbac', join(dir, f)])], (s) => (out += s), dir);
    return [code, out];
  };
  const [granted, out] = await evaluate(['rbac-all.yaml']);
  assert.equal(granted, 0, out);
  assert.equal(out, 'ConfigMap team-a/conf  secret-readers-only  pass\n');
  const [denied, text] = await evaluate(['rbac.yaml']);
  assert.equal(denied, 1, text);
  assert.match(text, /^ConfigMap team-a\/conf {2}secret-readers-only {2}fail\n {4}configmaps "conf" is forbidden: .*only those who may read secrets may write config\n$/);
});
