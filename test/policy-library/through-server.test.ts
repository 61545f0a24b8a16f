/**
 * Library policies through a real API server: applied with kubectl apply -f DIR as a user would,
 * then pods created with kubectl are denied with the policy's message; the offline evaluator of
 * `portcullis policy eval` gives the same message for the same pod (one evaluation code).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl, type Run } from '../helpers/kubectl.ts';
import { evalPolicies } from '../../src/policy-cli/eval.ts';

const library = join(import.meta.dirname, '..', '..', 'policies', 'library');
const skip = kubectlSkip(33);
let c: TestCluster;
let kc: string;

before(async () => {
  if (skip) return;
  // Privileged pods reach the policies only when the server allows them (--allow-privileged), as upstream.
  c = await startTestCluster({ allowPrivileged: true });
  kc = join(c.dataDir, 'admin.kubeconfig');
});
after(async () => {
  await c?.close();
});

const pod = (name: string, image: string, securityContext: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: tenant}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: ${image}
    securityContext: ${securityContext}
`;
const HARDENED = '{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}';

/** kubectl create, retried while the answer is not yet the policies' (they arrive by watch; the namespace's service account by its controller). */
async function create(manifest: string, done: (r: Run) => boolean): Promise<Run> {
  let r = await runKubectl(33, kc, ['create', '-f', '-'], manifest);
  for (let i = 0; i < 100 && !done(r); i++) {
    await new Promise((res) => setTimeout(res, 50));
    r = await runKubectl(33, kc, ['create', '-f', '-'], manifest);
  }
  return r;
}

test('kubectl apply -f of pod-security, allowed-registries and max-replicas; pods and a scale denied with the policies\' messages, the same offline', { skip }, async () => {
  for (const dir of ['pod-security', 'allowed-registries']) {
    const applied = await runKubectl(33, kc, ['apply', '-f', join(library, dir)]);
    assert.equal(applied.code, 0, applied.stderr);
  }
  const ns = await runKubectl(33, kc, ['create', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: tenant, labels: {policy.portcullis.dev/pod-security: restricted}}\n');
  assert.equal(ns.code, 0, ns.stderr);

  const privileged = pod('privileged', 'registry.example.com/app:1', '{privileged: true, allowPrivilegeEscalation: true}');
  const denied = await create(privileged, (r) => /ValidatingAdmissionPolicy/.test(r.stderr));
  assert.notEqual(denied.code, 0);
  const baselineMessage = "ValidatingAdmissionPolicy 'pod-security-baseline' with binding 'pod-security-baseline' denied request: privileged (containers app must not set securityContext.privileged=true)";
  assert.match(denied.stderr, new RegExp(`Error from server \\(Forbidden\\): error when creating "STDIN": pods "privileged" is forbidden: ${baselineMessage.replace(/[()=.]/g, '\\$&')}`));

  const hub = pod('hub', 'nginx:1.27', HARDENED);
  const refused = await create(hub, (r) => /ValidatingAdmissionPolicy/.test(r.stderr));
  assert.match(refused.stderr, /pods "hub" is forbidden: ValidatingAdmissionPolicy 'allowed-registries' with binding 'allowed-registries' denied request: images must come from registry\.example\.com\/, ghcr\.io\/my-org\/: docker\.io\/library\/nginx:1\.27/);

  // Restricted also asks for what baseline does not.
  const lax = pod('lax', 'registry.example.com/app:1', '{}');
  const restricted = await create(lax, (r) => /ValidatingAdmissionPolicy/.test(r.stderr));
  assert.match(restricted.stderr, /ValidatingAdmissionPolicy 'pod-security-restricted' with binding 'pod-security-restricted' denied request: allowPrivilegeEscalation != false \(containers app must set securityContext\.allowPrivilegeEscalation=false\)/);

  const good = await create(pod('good', 'registry.example.com/app:1', HARDENED), (r) => r.code === 0);
  assert.equal(good.code, 0, good.stderr);

  // A scale subresource update reads as an autoscaling/v1 Scale: max-replicas checks it too.
  const applied = await runKubectl(33, kc, ['apply', '-f', join(library, 'max-replicas')]);
  assert.equal(applied.code, 0, applied.stderr);
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: tenant}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: registry.example.com/app:1}]}
`;
  assert.equal((await create(deployment, (r) => r.code === 0)).code, 0);
  let scaled = await runKubectl(33, kc, ['-n', 'tenant', 'scale', 'deployment/web', '--replicas=20']);
  for (let i = 0; i < 100 && scaled.code === 0; i++) {
    await new Promise((res) => setTimeout(res, 50));
    scaled = await runKubectl(33, kc, ['-n', 'tenant', 'scale', 'deployment/web', '--replicas=20']);
  }
  assert.match(scaled.stderr, /deployments\.apps "web" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas' denied request: replicas must be at most 10, not 20/);
  assert.equal((await runKubectl(33, kc, ['-n', 'tenant', 'scale', 'deployment/web', '--replicas=5'])).code, 0);

  // The same pods offline, through the library's own files: the same messages.
  const d = mkdtempSync(join(tmpdir(), 'portcullis-policy-eval-'));
  const f = join(d, 'pods.yaml');
  writeFileSync(f, [privileged, hub, lax].join('---\n'));
  const nsFile = join(d, 'ns.yaml');
  writeFileSync(nsFile, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: tenant, labels: {policy.portcullis.dev/pod-security: restricted}}\n');
  const files = ['baseline.yaml', 'restricted.yaml', 'binding-baseline.yaml', 'binding-restricted.yaml'].map((n) => join(library, 'pod-security', n));
  const rows = await evalPolicies([f], [...files, nsFile, ...['policy.yaml', 'binding.yaml', 'params.yaml'].map((n) => join(library, 'allowed-registries', n))]);
  const msg = (resource: string, policy: string) => rows.find((r) => r.resource === resource && r.policy === policy)?.messages[0] ?? '';
  const serverLine = (r: Run) => /is forbidden: .*/.exec(r.stderr)![0];
  assert.equal(`pods "privileged" ${serverLine(denied)}`, msg('Pod tenant/privileged', 'pod-security-baseline'));
  assert.equal(`pods "hub" ${serverLine(refused)}`, msg('Pod tenant/hub', 'allowed-registries'));
  assert.equal(`pods "lax" ${serverLine(restricted)}`, msg('Pod tenant/lax', 'pod-security-restricted'));
});
