import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPolicy } from '../cli/policy.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const casbin = ['--casbin-model', join(repoRoot, 'policies/casbin/deny-list/model.conf'), '--casbin-policy', join(repoRoot, 'policies/casbin/deny-list/policy.csv')];

function fixtures(): { pod: (ns: string, image: string) => string; rbac: string } {
  const dir = mkdtempSync(join(tmpdir(), 'policy-explain-'));
  const rbac = join(dir, 'rbac.yaml');
  writeFileSync(
    rbac,
    `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-writer}
rules: [{apiGroups: [""], resources: [pods], verbs: [create, get, update]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-writes, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-writer}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: dev}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: contractors-write}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-writer}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: contractors}]
`,
  );
  let n = 0;
  const pod = (ns: string, image: string): string => {
    const f = join(dir, `pod-${++n}.yaml`);
    writeFileSync(f, `apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: ${ns}}\nspec:\n  containers: [{name: web, image: "${image}"}]\n`);
    return f;
  };
  return { pod, rbac };
}

async function explain(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runPolicy(['explain', ...args], (s) => (out += s), repoRoot, () => {
    throw new Error('offline explain must not reach a server');
  });
  return { code, out };
}

test('offline: the RBAC binding and rule that allowed the request, then each policy verdict', async () => {
  const f = fixtures();
  const latest = join(repoRoot, 'policies/library/disallow-latest-tag/policy.yaml');
  const denied = await explain(['-f', f.pod('team-a', 'nginx:latest'), '--as', 'alice', '--as-group', 'dev', '--rbac', f.rbac, '--policy', latest, ...casbin]);
  assert.equal(denied.code, 1, denied.out);
  assert.match(denied.out, /^Request: {8}create \/api\/v1\/namespaces\/team-a\/pods {2}\(audit ID offline, /);
  assert.match(denied.out, /\nUser: {11}alice {2}groups=\[dev\]\n/);
  assert.match(denied.out, /\nAuthorization: {2}allow by RBAC \(/);
  assert.match(denied.out, /\n {2}binding: {6}RoleBinding team-a\/dev-writes -> ClusterRole pod-writer\n {2}rule: {9}\{"apiGroups":\[""\],"resources":\["pods"\],"verbs":\["create","get","update"\]\}\n/);
  assert.match(denied.out, /\n {2}validating ValidatingAdmissionPolicy 'disallow-latest-tag': DENIED \([\d.]+ ms\) - fail: pods "web" is forbidden: ValidatingAdmissionPolicy 'disallow-latest-tag' with binding 'disallow-latest-tag-eval' denied request: images must have a tag other than latest, or a digest: web \(nginx:latest\)\n/);
  assert.match(denied.out, /\nResponse: {7}403: pods "web" is forbidden: /);

  const ok = await explain(['-f', f.pod('team-a', 'nginx:1.27'), '--as', 'alice', '--as-group', 'dev', '--rbac', f.rbac, '--policy', latest]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /\n {2}validating ValidatingAdmissionPolicy 'disallow-latest-tag': allowed \([\d.]+ ms\)\n/);
  assert.match(ok.out, /\nResponse: {7}201\n/);
});

test('offline: --old explains an update of the named object, and the policies see the old object', async () => {
  const f = fixtures();
  const dir = mkdtempSync(join(tmpdir(), 'policy-explain-'));
  const policy = join(dir, 'immutable-image.yaml');
  writeFileSync(
    policy,
    `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: immutable-image}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [pods]}]
  validations:
  - expression: "object.spec.containers[0].image == oldObject.spec.containers[0].image"
    message: the image may not change
`,
  );
  const changed = await explain(['-f', f.pod('team-a', 'nginx:1.28'), '--old', f.pod('team-a', 'nginx:1.27'), '--as', 'alice', '--as-group', 'dev', '--rbac', f.rbac, '--policy', policy]);
  assert.equal(changed.code, 1, changed.out);
  assert.match(changed.out, /^Request: {8}update \/api\/v1\/namespaces\/team-a\/pods\/web /);
  assert.match(changed.out, /validating ValidatingAdmissionPolicy 'immutable-image': DENIED \([\d.]+ ms\) - fail: pods "web" is forbidden: ValidatingAdmissionPolicy 'immutable-image' with binding 'immutable-image-eval' denied request: the image may not change\n/);
  const same = await explain(['-f', f.pod('team-a', 'nginx:1.27'), '--old', f.pod('team-a', 'nginx:1.27'), '--as', 'alice', '--as-group', 'dev', '--rbac', f.rbac, '--policy', policy]);
  assert.equal(same.code, 0, same.out);
  assert.match(same.out, /\nResponse: {7}200\n/);
});

test('offline: a Casbin deny before RBAC names its policy line; no opinion from anyone is a 403', async () => {
  const f = fixtures();
  const carl = await explain(['-f', f.pod('kube-system', 'nginx:1.27'), '--as', 'carl', '--as-group', 'contractors', '--rbac', f.rbac, ...casbin, '-o', 'json']);
  assert.equal(carl.code, 1, carl.out);
  const trace = JSON.parse(carl.out);
  assert.equal(trace.kind, 'DecisionTrace');
  assert.deepEqual(trace.authentication, { result: 'success', method: 'offline (--as)', durationMs: 0 });
  assert.equal(trace.authorization.decision, 'deny');
  assert.equal(trace.authorization.authorizer, 'Casbin');
  assert.match(trace.authorization.reason, /^Casbin: denied by \S+policies\/casbin\/deny-list\/policy\.csv:2 \(p, group:contractors, kube-system, \*, \*, deny\) for group:contractors$/);
  assert.deepEqual(trace.admission, []);
  assert.equal(trace.response.code, 403);

  const nobody = await explain(['-f', f.pod('team-a', 'nginx:1.27'), '--as', 'bob', '--rbac', f.rbac]);
  assert.equal(nobody.code, 1);
  assert.match(nobody.out, /\nAuthorization: {2}deny \(no authorizer allowed it\) /);
  assert.match(nobody.out, /\nResponse: {7}403 Forbidden: pods is forbidden: User "bob" cannot create resource "pods" in API group "" in the namespace "team-a"\n/);
});

test('with an audit ID: the live trace from the server, as portcullis explain shows it', async () => {
  let asked = '';
  let out = '';
  const trace = { auditID: 'abc', verb: 'get', requestURI: '/api/v1/pods', requestReceivedTimestamp: 'T', user: { username: 'u', groups: [] }, authentication: { result: 'success', method: 'x509', durationMs: 0.1 }, admission: [] };
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'policy-explain-')), 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1", certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n');
  const code = await runPolicy(['explain', 'abc', '--kubeconfig', kubeconfig], (s) => (out += s), repoRoot, () => ({ getPath: async (p: string) => ((asked = p), trace) as never, close: () => {} }));
  assert.equal(code, 0);
  assert.equal(asked, '/debug/portcullis/explain/abc');
  assert.match(out, /^Request: {8}get \/api\/v1\/pods {2}\(audit ID abc, received T\)\nUser: {11}u {2}groups=\[\]\nAuthentication: success by x509 \(0\.1 ms\)\n/);
});
