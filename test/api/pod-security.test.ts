import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { join } from 'node:path';

let c: TestCluster;
before(async () => {
  // Privileged pods reach PodSecurity only when the server allows them (--allow-privileged), as upstream.
  c = await startTestCluster({ allowPrivileged: true });
  const ns = (name: string, labels: Record<string, string>) => c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  assert.equal((await ns('strict', { 'pod-security.kubernetes.io/enforce': 'restricted' })).status, 201);
  assert.equal((await ns('warned', { 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/audit': 'restricted' })).status, 201);
});
after(async () => {
  await c.close();
});

const privileged = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'priv' }, spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } };
const compliant = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'ok' },
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'c', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  },
};

test('enforce=restricted denies a privileged pod with the upstream message, admits a compliant one', async () => {
  const r = await c.admin.post('/api/v1/namespaces/strict/pods', privileged);
  assert.equal(r.status, 403, r.text);
  assert.match(r.body.message, /^pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "c" must not set securityContext.privileged=true\), allowPrivilegeEscalation != false/);
  assert.equal((await c.admin.post('/api/v1/namespaces/strict/pods', compliant)).status, 201);
});

test('warn answers a Warning header; workload templates are warned about too', async () => {
  const r = await c.admin.post('/api/v1/namespaces/warned/pods', privileged);
  assert.equal(r.status, 201, r.text);
  assert.match(String(r.headers.warning), /would violate PodSecurity \\"baseline:latest\\": privileged/);
  const d = await c.admin.post('/apis/apps/v1/namespaces/warned/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  assert.equal(d.status, 201, d.text);
  assert.match(String(d.headers.warning), /would violate PodSecurity \\"baseline:latest\\": host namespaces \(hostNetwork=true\)/);
});

test('tightening a namespace warns about the pods that would now be denied', async () => {
  const r = await c.admin.patch('/api/v1/namespaces/warned', { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } }, 'application/merge-patch+json');
  assert.equal(r.status, 200, r.text);
  const w = String(r.headers.warning);
  assert.match(w, /existing pods in namespace \\"warned\\" violate the new PodSecurity enforce level \\"baseline:latest\\"/);
  assert.match(w, /priv: privileged/);
  const bad = await c.admin.patch('/api/v1/namespaces/warned', { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'superstrict' } } }, 'application/merge-patch+json');
  assert.equal(bad.status, 200);
  assert.match(String(bad.headers.warning), /must be one of privileged, baseline, restricted/);
});

const skip = kubectlSkip(33);
test('kubectl shows the denial and the warning as upstream', { skip }, async () => {
  const kc = join(c.dataDir, 'admin.kubeconfig');
  const yaml = (ns: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: kpriv, namespace: ${ns}}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    securityContext: {privileged: true}\n`;
  const denied = await runKubectl(33, kc, ['apply', '-f', '-'], yaml('strict'));
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Error from server \(Forbidden\): error when creating "STDIN": pods "kpriv" is forbidden: violates PodSecurity "restricted:latest": privileged/);
  await c.admin.patch('/api/v1/namespaces/warned', { metadata: { labels: { 'pod-security.kubernetes.io/enforce': null } } }, 'application/merge-patch+json');
  const warned = await runKubectl(33, kc, ['apply', '-f', '-'], yaml('warned'));
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /Warning: would violate PodSecurity "baseline:latest": privileged \(container "c" must not set securityContext.privileged=true\)/);
});
