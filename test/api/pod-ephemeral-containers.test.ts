/** pods/ephemeralcontainers through the API, as upstream 1.33 serves it: verbs, RBAC on the subresource, what a write may change, its validation, Pod Security. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const NS = '/api/v1/namespaces/default';
const SMP = 'application/strategic-merge-patch+json';

async function pod(name: string, ns = 'default', extra: Record<string, unknown> = {}): Promise<any> {
  const r = await c.admin.post(`/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'x' } }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

/** What kubectl 1.33 debug --image=busybox -it --target=app sends (a two-way strategic merge patch of the pod). */
const debugPatch = (name: string, extra: Record<string, unknown> = {}) => ({
  spec: { ephemeralContainers: [{ name, image: 'busybox', resources: {}, terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', stdin: true, tty: true, targetContainerName: 'app', ...extra }] },
});

test('discovery lists pods/ephemeralcontainers (kind Pod; get, patch, update)', async () => {
  const r = await c.admin.get('/api/v1');
  const res = r.body.resources.find((x: any) => x.name === 'pods/ephemeralcontainers');
  assert.deepEqual(res, { name: 'pods/ephemeralcontainers', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  assert.equal((await c.admin.post(`${NS}/pods/nope/ephemeralcontainers`, {})).status, 405);
  const doc = await c.admin.get('/openapi/v2');
  const ops = doc.body.paths['/api/v1/namespaces/{namespace}/pods/{name}/ephemeralcontainers'];
  assert.deepEqual(
    ['get', 'put', 'patch'].map((m) => [ops?.[m]?.operationId, ops?.[m]?.description]),
    [
      ['readCoreV1NamespacedPodEphemeralcontainers', 'read ephemeralcontainers of the specified Pod'],
      ['replaceCoreV1NamespacedPodEphemeralcontainers', 'replace ephemeralcontainers of the specified Pod'],
      ['patchCoreV1NamespacedPodEphemeralcontainers', 'partially update ephemeralcontainers of the specified Pod'],
    ],
  );
});

test('a strategic merge patch adds an ephemeral container and changes nothing else; a plain pod update may not', async () => {
  const before = await pod('e1');
  const plain = await c.admin.patch(`${NS}/pods/e1`, debugPatch('dbg'), SMP);
  assert.equal(plain.status, 422, plain.text);
  assert.match(plain.body.message, /^Pod "e1" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  const sneaky = { metadata: { labels: { sneaky: 'yes' } }, spec: { ...debugPatch('dbg').spec, containers: [{ name: 'app', image: 'nginx' }], activeDeadlineSeconds: 5 } };
  const r = await c.admin.patch(`${NS}/pods/e1/ephemeralcontainers`, sneaky, SMP);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.kind, 'Pod');
  assert.deepEqual(r.body.spec.ephemeralContainers, [
    { name: 'dbg', image: 'busybox', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', stdin: true, tty: true, targetContainerName: 'app' },
  ]);
  assert.equal(r.body.spec.containers[0].image, 'busybox');
  assert.equal(r.body.spec.activeDeadlineSeconds, undefined);
  assert.deepEqual(r.body.metadata.labels, before.metadata.labels);
  // The write's managedFields entry names the subresource, as upstream's field manager records it.
  const entry = r.body.metadata.managedFields.find((m: any) => m.subresource === 'ephemeralcontainers');
  assert.equal(entry?.operation, 'Update');
  assert.ok(entry.fieldsV1['f:spec']['f:ephemeralContainers'], JSON.stringify(entry));
  const got = await c.admin.get(`${NS}/pods/e1/ephemeralcontainers`);
  assert.equal(got.status, 200);
  assert.equal(got.body.spec.ephemeralContainers[0].name, 'dbg');
  // A JSON patch adds a second one.
  const jp = await c.admin.patch(`${NS}/pods/e1/ephemeralcontainers`, [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'dbg2', image: 'busybox' } }], 'application/json-patch+json');
  assert.equal(jp.status, 200, jp.text);
  assert.deepEqual(jp.body.spec.ephemeralContainers.map((e: any) => e.name), ['dbg', 'dbg2']);
  // Server-side apply through the subresource adds one too; its Apply entry names the subresource.
  // What it sends besides (labels, another container image) is neither written nor owned (upstream's resetFieldsFilter).
  const applied = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'e1', labels: { mine: 'yes' } }, spec: { containers: [{ name: 'app', image: 'other' }], ephemeralContainers: [{ name: 'dbg3', image: 'busybox' }] } });
  const ssa = await c.admin.patch(`${NS}/pods/e1/ephemeralcontainers?fieldManager=debugger`, applied as never, 'application/apply-patch+yaml');
  assert.equal(ssa.status, 200, ssa.text);
  assert.deepEqual(ssa.body.spec.ephemeralContainers.map((e: any) => e.name), ['dbg', 'dbg2', 'dbg3']);
  const own = ssa.body.metadata.managedFields.find((m: any) => m.manager === 'debugger');
  assert.deepEqual([own.operation, own.subresource, Object.keys(own.fieldsV1)], ['Apply', 'ephemeralcontainers', ['f:spec']]);
  assert.deepEqual(Object.keys(own.fieldsV1['f:spec']), ['f:ephemeralContainers']);
  assert.equal(ssa.body.spec.containers[0].image, 'busybox');
  assert.equal(ssa.body.metadata.labels.mine, undefined);
  // A later plain update of the pod that keeps them is fine (the image may change as ever).
  const img = await c.admin.patch(`${NS}/pods/e1`, { spec: { containers: [{ name: 'app', image: 'nginx' }] } }, SMP);
  assert.equal(img.status, 200, img.text);
});

test('existing ephemeral containers can be neither removed nor changed', async () => {
  await pod('e2');
  assert.equal((await c.admin.patch(`${NS}/pods/e2/ephemeralcontainers`, debugPatch('dbg'), SMP)).status, 200);
  const cur = (await c.admin.get(`${NS}/pods/e2/ephemeralcontainers`)).body;
  const removed = await c.admin.put(`${NS}/pods/e2/ephemeralcontainers`, { ...cur, spec: { ...cur.spec, ephemeralContainers: [] } });
  assert.equal(removed.status, 422, removed.text);
  assert.equal(removed.body.message, 'Pod "e2" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "dbg" may not be removed\n');
  assert.deepEqual(removed.body.details.causes, [{ reason: 'FieldValueForbidden', message: 'Forbidden: existing ephemeral containers "dbg" may not be removed\n', field: 'spec.ephemeralContainers' }]);
  const changed = await c.admin.patch(`${NS}/pods/e2/ephemeralcontainers`, { spec: { ephemeralContainers: [{ name: 'dbg', image: 'nginx' }] } }, SMP);
  assert.equal(changed.status, 422, changed.text);
  assert.match(changed.body.message, /^Pod "e2" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "dbg" may not be changed\n/);
});

test('ephemeral container rules, with upstream messages', async () => {
  await pod('e3', 'default', { initContainers: [{ name: 'init', image: 'busybox' }] });
  const bad = { name: 'app', image: 'busybox', targetContainerName: 'nosuch', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } }, readinessProbe: { exec: { command: ['true'] } }, lifecycle: { preStop: { exec: { command: ['true'] } } }, volumeMounts: [] as unknown[] };
  const r = await c.admin.patch(`${NS}/pods/e3/ephemeralcontainers`, { spec: { ephemeralContainers: [bad, { name: 'init', image: 'busybox' }] } }, SMP);
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(
    r.body.details.causes.map((x: any) => `${x.field}: ${x.message}`),
    [
      'spec.ephemeralContainers[0].name: Duplicate value: "app"',
      'spec.ephemeralContainers[0].targetContainerName: Not found: "nosuch"',
      'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[1].name: Duplicate value: "init"',
    ],
  );
  // Targeting an init container is allowed.
  const ok = await c.admin.patch(`${NS}/pods/e3/ephemeralcontainers`, { spec: { ephemeralContainers: [{ name: 'd', image: 'busybox', targetContainerName: 'init' }] } }, SMP);
  assert.equal(ok.status, 200, ok.text);
});

test('a pod cannot be created with ephemeral containers; a static pod gets none', async () => {
  const r = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'e4' }, spec: { containers: [{ name: 'app', image: 'busybox' }], ephemeralContainers: [{ name: 'd', image: 'busybox' }] } });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.message, 'Pod "e4" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create');
  await pod('mirror', 'default', { nodeName: 'n1' });
  // The mirror annotation can only be set on create; write it in with a fresh pod.
  await c.admin.delete(`${NS}/pods/mirror?gracePeriodSeconds=0`);
  const m = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mirror2', annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox' }] } });
  assert.equal(m.status, 201, m.text);
  const s = await c.admin.patch(`${NS}/pods/mirror2/ephemeralcontainers`, debugPatch('dbg'), SMP);
  assert.equal(s.status, 422, s.text);
  assert.equal(s.body.message, 'Pod "mirror2" is invalid: []: Forbidden: static pods do not support ephemeral containers');
  assert.deepEqual(s.body.details.causes, [{ reason: 'FieldValueForbidden', message: 'Forbidden: static pods do not support ephemeral containers', field: '[]' }]);
});

test('RBAC: pods update does not grant pods/ephemeralcontainers; the subresource grant does', async () => {
  await pod('e5');
  const role = (name: string, resources: string[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules: [{ apiGroups: [''], resources, verbs: ['get', 'patch', 'update'] }] });
  const binding = (name: string, user: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'User', name: user }] });
  for (const [name, res, user] of [['pod-editor', ['pods'], 'editor'], ['debugger', ['pods', 'pods/ephemeralcontainers'], 'debugger']] as const) {
    assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', role(name, [...res]))).status, 201);
    assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', binding(name, user))).status, 201);
  }
  const retry = async (fn: () => Promise<any>, want: number) => {
    let r = await fn();
    for (let i = 0; i < 50 && r.status !== want; i++) {
      await new Promise((res) => setTimeout(res, 20)); // the RBAC cache catches up with the new bindings
      r = await fn();
    }
    return r;
  };
  const editor = c.as('editor');
  assert.equal((await retry(() => editor.get(`${NS}/pods/e5`), 200)).status, 200);
  const denied = await editor.patch(`${NS}/pods/e5/ephemeralcontainers`, debugPatch('dbg'), SMP);
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.body.message, 'pods "e5" is forbidden: User "editor" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "default"');
  const ok = await retry(() => c.as('debugger').patch(`${NS}/pods/e5/ephemeralcontainers`, debugPatch('dbg'), SMP), 200);
  assert.equal(ok.status, 200, ok.text);
});

test('Pod Security judges the ephemeral containers written through the subresource', async () => {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'baseline-eph', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } };
  assert.equal((await c.admin.post('/api/v1/namespaces', ns)).status, 201);
  await pod('p', 'baseline-eph');
  const caps = await c.admin.patch('/api/v1/namespaces/baseline-eph/pods/p/ephemeralcontainers', debugPatch('dbg', { securityContext: { capabilities: { add: ['NET_ADMIN'] } } }), SMP);
  assert.equal(caps.status, 403, caps.text);
  assert.equal(caps.body.message, 'pods "p" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "dbg" must not include "NET_ADMIN" in securityContext.capabilities.add)');
  const ok = await c.admin.patch('/api/v1/namespaces/baseline-eph/pods/p/ephemeralcontainers', debugPatch('dbg'), SMP);
  assert.equal(ok.status, 200, ok.text);
});

test("ServiceAccount admission: under enforce-mountable-secrets a debug container may use only the account's secrets", async () => {
  const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'locked', annotations: { 'kubernetes.io/enforce-mountable-secrets': 'true' } }, secrets: [{ name: 'ok' }] };
  assert.equal((await c.admin.post(`${NS}/serviceaccounts`, sa)).status, 201);
  await pod('sa-locked', 'default', { serviceAccountName: 'locked', automountServiceAccountToken: false });
  const tail = 'is not allowed because service account locked does not reference that secret';
  // Upstream's limitEphemeralContainerSecretReferences returns a plain error: a 500 with its text.
  const viaEnvFrom = await c.admin.patch(`${NS}/pods/sa-locked/ephemeralcontainers`, debugPatch('dbg', { envFrom: [{ secretRef: { name: 'other' } }] }), SMP);
  assert.equal(viaEnvFrom.status, 500, viaEnvFrom.text);
  assert.equal(viaEnvFrom.body.message, `ephemeral container dbg with envFrom referencing secret.secretName="other" ${tail}`);
  // ErrorToAPIStatus for a plain error: code and message, reason StatusReasonUnknown (left out), no details.
  assert.deepEqual(viaEnvFrom.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: viaEnvFrom.body.message, code: 500 });
  const viaEnv = await c.admin.patch(`${NS}/pods/sa-locked/ephemeralcontainers`, debugPatch('dbg', { env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'other', key: 'k' } } }] }), SMP);
  assert.equal(viaEnv.status, 500, viaEnv.text);
  assert.equal(viaEnv.body.message, `ephemeral container dbg with envVar S referencing secret.secretName="other" ${tail}`);
  assert.equal((await c.admin.get(`${NS}/pods/sa-locked`)).body.spec.ephemeralContainers, undefined);
  const ok = await c.admin.patch(`${NS}/pods/sa-locked/ephemeralcontainers`, debugPatch('dbg', { envFrom: [{ secretRef: { name: 'ok' } }] }), SMP);
  assert.equal(ok.status, 200, ok.text);
});
