/**
 * One decision trace per request (`portcullis explain`) and Events for denied writes, through a
 * real server: the RBAC binding that allowed a request, the admission plugin that denied one, the
 * Event a namespace's readers see with kubectl, aggregated on repeats.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import type { TestClient } from '../helpers/client.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { runExplain } from '../../src/cli/explain.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { retryUntil as eventually } from '../helpers/retry-until.ts';

let c: TestCluster;
let bob: TestClient;
const NS = '/api/v1/namespaces/explained';
const privileged = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } });

before(async () => {
  // Privileged pods reach admission only when the server allows them (--allow-privileged), as upstream.
  c = await startTestCluster({ allowPrivileged: true });
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'explained', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } };
  assert.equal((await c.admin.post('/api/v1/namespaces', ns)).status, 201);
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'writer' }, rules: [{ apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['create', 'get'] }] };
  assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/explained/roles', role)).status, 201);
  const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'bob-writes' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'writer' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }] };
  assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/explained/rolebindings', binding)).status, 201);
  bob = c.as('bob');
  // The RBAC authorizer follows the store through a watch: wait until bob's binding counts.
  for (let i = 0; i < 100 && (await bob.get(`${NS}/configmaps/none`)).status === 403; i++) await new Promise((r) => setTimeout(r, 20));
});
after(() => c?.close());

function auditId(r: { headers: Record<string, unknown> }): string {
  const id = r.headers['audit-id'];
  assert.equal(typeof id, 'string', 'every answer carries an Audit-Id');
  return id as string;
}

async function explain(id: string) {
  const r = await c.admin.get(`/debug/portcullis/explain/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function events(): Promise<any[]> {
  const r = await c.admin.get(`${NS}/events`);
  assert.equal(r.status, 200, r.text);
  return r.body.items;
}

test('explain names the RBAC binding, role and rule that allowed a request, and the admission plugins that ran', async () => {
  const r = await bob.post(`${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } });
  assert.equal(r.status, 201, r.text);
  const t = await explain(auditId(r));
  assert.equal(t.auditID, auditId(r));
  assert.equal(t.verb, 'create');
  assert.equal(t.user.username, 'bob');
  assert.equal(t.authentication.result, 'success');
  assert.equal(t.authentication.method, 'x509');
  assert.equal(t.authorization.decision, 'allow');
  assert.equal(t.authorization.authorizer, 'RBAC');
  assert.equal(t.authorization.reason, 'RBAC: allowed by RoleBinding "bob-writes/explained" of Role "writer" to User "bob"');
  assert.deepEqual(t.authorization.binding, { kind: 'RoleBinding', name: 'bob-writes', namespace: 'explained' });
  assert.deepEqual(t.authorization.role, { kind: 'Role', name: 'writer' });
  assert.deepEqual(t.authorization.rule.resources, ['configmaps', 'pods']);
  assert.ok(t.admission.some((a: any) => a.plugin === 'NamespaceLifecycle' && a.phase === 'validating' && a.allowed));
  assert.equal(t.response.code, 201);
});

test('explain names the admission plugin that denied a request; the denial is an Event, aggregated on repeats', async () => {
  const r = await bob.post(`${NS}/pods`, privileged('priv'));
  assert.equal(r.status, 403, r.text);
  const t = await explain(auditId(r));
  const denied = t.admission.filter((a: any) => !a.allowed);
  assert.equal(denied.length, 1);
  assert.equal(denied[0].plugin, 'PodSecurity');
  assert.match(denied[0].reason, /violates PodSecurity "restricted:latest"/);
  assert.equal(t.response.code, 403);
  assert.equal(t.response.reason, 'Forbidden');
  assert.equal(t.response.message, r.body.message);

  const first = await eventually(events, (items) => items.some((e) => e.reason === 'FailedAdmission'));
  const ev = first.find((e) => e.reason === 'FailedAdmission')!;
  assert.equal(ev.type, 'Warning');
  assert.deepEqual(ev.involvedObject, { apiVersion: 'v1', kind: 'Pod', namespace: 'explained', name: 'priv' });
  assert.equal(ev.source.component, 'portcullis-apiserver');
  assert.equal(ev.count, 1);
  assert.ok(ev.message.startsWith(r.body.message), ev.message);
  assert.match(ev.message, /user "bob", plugin PodSecurity/);

  assert.equal((await bob.post(`${NS}/pods`, privileged('priv'))).status, 403);
  const again = await eventually(events, (items) => items.find((e) => e.metadata.name === ev.metadata.name)?.count === 2);
  assert.equal(again.filter((e) => e.reason === 'FailedAdmission').length, 1, 'the repeat raised count on the same Event');
  assert.equal(again.find((e) => e.metadata.name === ev.metadata.name)!.count, 2);
});

test('an authorization denial of a namespaced write is an Event with reason Forbidden, and its trace says why', async () => {
  const r = await bob.post(`${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
  assert.equal(r.status, 403);
  const t = await explain(auditId(r));
  assert.equal(t.authorization.decision, 'deny');
  assert.deepEqual(t.admission, [], 'the body of a refused request is never read, nor admitted');
  const items = await eventually(events, (xs) => xs.some((e) => e.reason === 'Forbidden'));
  const ev = items.find((e) => e.reason === 'Forbidden')!;
  assert.equal(ev.message, r.body.message);
  assert.equal(ev.involvedObject.kind, 'Secret');
});

test('a trace is only for those allowed /debug/portcullis/explain, and unknown IDs are 404', async () => {
  const r = await bob.get('/version');
  assert.equal((await bob.get(`/debug/portcullis/explain/${auditId(r)}`)).status, 403);
  const missing = await c.admin.get('/debug/portcullis/explain/no-such-id');
  assert.equal(missing.status, 404);
  assert.match(missing.body.message, /no decision trace for audit ID "no-such-id"/);
});

test('portcullis explain prints the trace with a kubeconfig', async () => {
  const r = await bob.post(`${NS}/pods`, privileged('priv2'));
  assert.equal(r.status, 403);
  let out = '';
  const code = await runExplain([auditId(r), '--kubeconfig', c.cp.kubeconfigPath], (s) => (out += s), (cfg) => new RestClient(cfg));
  assert.equal(code, 0);
  assert.match(out, /Authorization: {2}allow by RBAC/);
  assert.match(out, /binding: {6}RoleBinding explained\/bob-writes -> Role writer/);
  assert.match(out, /validating PodSecurity: DENIED/);
  assert.match(out, /Response: {7}403 Forbidden/);
  const refused = await bob.post(`${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's2' } });
  let text = '';
  await runExplain([auditId(refused), '--kubeconfig', c.cp.kubeconfigPath], (s) => (text += s), (cfg) => new RestClient(cfg));
  assert.match(text, /Authorization: {2}deny \(no authorizer allowed it\)/);
  assert.match(text, /Response: {7}403 Forbidden: secrets is forbidden: User "bob" cannot create resource "secrets"/);
  await assert.rejects(runExplain(['no-such-id', '--kubeconfig', c.cp.kubeconfigPath], () => {}, (cfg) => new RestClient(cfg)), /no decision trace/);
});

test('kubectl get events shows the denial', { skip: kubectlSkip(33) }, async () => {
  const r = await runKubectl(33, c.cp.kubeconfigPath, ['get', 'events', '-n', 'explained']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Warning\s+FailedAdmission\s+pod\/priv\s+pods "priv" is forbidden: violates PodSecurity/);
});

test('reading traces can be granted with a nonResourceURLs rule on /debug/portcullis/explain/*', async () => {
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'trace-reader' }, rules: [{ nonResourceURLs: ['/debug/portcullis/explain/*'], verbs: ['get'] }] };
  assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/clusterroles', role)).status, 201);
  const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'carol-reads-traces' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'trace-reader' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'carol' }] };
  assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding)).status, 201);
  const carol = c.as('carol');
  const id = auditId(await bob.get('/version'));
  const r = await eventually(() => carol.get(`/debug/portcullis/explain/${id}`), (x) => x.status === 200);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.user.username, 'bob');
  assert.equal((await carol.get('/metrics')).status, 403, 'the rule grants traces, not metrics');
});
