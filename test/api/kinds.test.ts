import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../../src/api/registry/builtin.ts';
import { clusterPerFile } from '../helpers/cluster.ts';
import { OBJECTS_133 } from './kinds-133-objects.ts';

const c = clusterPerFile();

const podSpec = { containers: [{ name: 'c', image: 'busybox:1.36' }] };
const template = (app: string, restartPolicy?: string) => ({ metadata: { labels: { app } }, spec: { ...podSpec, ...(restartPolicy ? { restartPolicy } : {}) } });

/** A minimal valid object of every built-in kind, as a user would write it. */
const OBJECTS: Record<string, Record<string, unknown>> = {
  ...OBJECTS_133,
  namespaces: { metadata: { name: 'kinds-ns' } },
  pods: { metadata: { name: 'p' }, spec: podSpec },
  services: { metadata: { name: 'svc' }, spec: { selector: { app: 'a' }, ports: [{ port: 80, targetPort: 8080 }] } },
  endpoints: { metadata: { name: 'svc' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 8080 }] }] },
  configmaps: { metadata: { name: 'cm' }, data: { a: 'b' } },
  secrets: { metadata: { name: 's' }, type: 'Opaque', stringData: { password: 'x' } },
  serviceaccounts: { metadata: { name: 'sa' } },
  nodes: { metadata: { name: 'node-1' } },
  events: { metadata: { name: 'ev' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Test', message: 'hello', type: 'Normal' },
  resourcequotas: { metadata: { name: 'q' }, spec: { hard: { pods: '10', 'requests.cpu': '2' } } },
  limitranges: { metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m' } }] } },
  persistentvolumes: { metadata: { name: 'pv1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv1' } } },
  persistentvolumeclaims: { metadata: { name: 'pvc' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  deployments: { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'd' } }, template: template('d') } },
  replicasets: { metadata: { name: 'rs' }, spec: { selector: { matchLabels: { app: 'rs' } }, template: template('rs') } },
  statefulsets: { metadata: { name: 'sts' }, spec: { serviceName: 'svc', selector: { matchLabels: { app: 'sts' } }, template: template('sts') } },
  daemonsets: { metadata: { name: 'ds' }, spec: { selector: { matchLabels: { app: 'ds' } }, template: template('ds') } },
  jobs: { metadata: { name: 'j' }, spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } } },
  cronjobs: { metadata: { name: 'cj' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'OnFailure' } } } } } },
  networkpolicies: { metadata: { name: 'np' }, spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a' } } }] }] } },
  ingresses: { metadata: { name: 'ing' }, spec: { rules: [{ host: 'example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80 } } } }] } }] } },
  roles: { metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
  rolebindings: { metadata: { name: 'rb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'alice' }] },
  clusterroles: { metadata: { name: 'kinds-cr' }, rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] },
  clusterrolebindings: { metadata: { name: 'kinds-crb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kinds-cr' }, subjects: [{ kind: 'Group', name: 'dev' }] },
  poddisruptionbudgets: { metadata: { name: 'pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'd' } } } },
  leases: { metadata: { name: 'l' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } },
  podsecuritypolicies: { metadata: { name: 'kinds-psp' }, spec: { privileged: false, seLinux: { rule: 'RunAsAny' }, runAsUser: { rule: 'RunAsAny' }, supplementalGroups: { rule: 'RunAsAny' }, fsGroup: { rule: 'RunAsAny' }, volumes: ['*'] } },
  validatingadmissionpolicies: { metadata: { name: 'vap' }, spec: { matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] }, validations: [{ expression: 'object.spec.replicas <= 5' }] } },
  validatingadmissionpolicybindings: { metadata: { name: 'vapb' }, spec: { policyName: 'vap', validationActions: ['Deny'] } },
  validatingwebhookconfigurations: { metadata: { name: 'vwc' }, webhooks: [{ name: 'v.example.com', clientConfig: { url: 'https://127.0.0.1:9443/validate' }, rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] }] },
  mutatingwebhookconfigurations: { metadata: { name: 'mwc' }, webhooks: [{ name: 'm.example.com', clientConfig: { url: 'https://127.0.0.1:9443/mutate' }, rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] }] },
  certificatesigningrequests: { metadata: { name: 'csr' }, spec: { request: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIWk1JR0FBZ0VBTUI0eERqQU1CZ05WQkFNTUJXdHBibVJ6TVF3d0NnWURWUVFLREFOa1pYWXdXVEFUQmdjcQpoa2pPUFFJQkJnZ3Foa2pPUFFNQkJ3TkNBQVRxcEhBcjRMU3RKWFlzdkJqVkFSQmhaWHgrWXRHYXlIU0hEbVI1CmVmNzRDWUVyOXJTQU1CVTVBMjRsU3krUnpvUTJkQy9IaGs2UjhJL253NWtWQWFxMG9BQXdDZ1lJS29aSXpqMEUKQXdJRFNBQXdSUUlnVjJmNFFPWUZCeENCTmJrTlloNDJ2aC9LWHVDWVlJSVM3YU5DWXVxZmpuRUNJUUNvS1pCVwpGSzJmd0dGdUdJS25tZ3AvQnJpRFl3WER6WGkwcjVacGpyZ2ZSUT09Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo=' /* a real EC P-256 CSR (CN=kinds, O=dev): validation checks its signature */, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] } },
  customresourcedefinitions: {
    metadata: { name: 'gadgets.example.com' },
    spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'gadgets', kind: 'Gadget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  },
};

for (const def of builtinResources().filter((d) => !d.virtual)) {
  test(`${def.resource}.${def.group || 'core'}: create, get, list, delete`, async () => {
    // A resource served by two groups (events) has a sample per group: "<resource>.<group>".
    const body = OBJECTS[`${def.resource}.${def.group}`] ?? OBJECTS[def.resource];
    assert.ok(body, `no sample object for ${def.resource}`);
    const gv = def.group ? `${def.group}/${def.version}` : def.version;
    const base = `${def.group ? `/apis/${def.group}` : '/api'}/${def.version}${def.namespaced ? '/namespaces/default' : ''}/${def.resource}`;
    const created = await c.admin.post(base, { apiVersion: gv, kind: def.kind, ...body });
    assert.equal(created.status, 201, `${def.kind}: ${created.text}`);
    assert.equal(created.body.kind, def.kind);
    if (def.kind === 'Service') assert.match(created.body.spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    const name = created.body.metadata.name;
    const got = await c.admin.get(`${base}/${name}`);
    assert.equal(got.status, 200);
    const list = await c.admin.get(base);
    assert.equal(list.status, 200);
    assert.equal(list.body.kind, def.listKind);
    assert.ok(list.body.items.some((i: any) => i.metadata.name === name));
    const del = await c.admin.delete(`${base}/${name}?gracePeriodSeconds=0`);
    assert.equal(del.status, 200, del.text);
  });
}

test('pods bound to a node are deleted gracefully; grace 0 removes them', async () => {
  const base = '/api/v1/namespaces/default/pods';
  const p = await c.admin.post(base, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { ...podSpec, nodeName: 'node-1' } });
  assert.equal(p.status, 201, p.text);
  const d = await c.admin.delete(`${base}/bound`);
  assert.equal(d.status, 200);
  assert.ok(d.body.metadata.deletionTimestamp);
  assert.equal(d.body.metadata.deletionGracePeriodSeconds, 30);
  assert.equal((await c.admin.get(`${base}/bound`)).status, 200);
  const now = await c.admin.delete(`${base}/bound`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
  assert.equal(now.status, 200, now.text);
  assert.equal((await c.admin.get(`${base}/bound`)).status, 404);
});

test('dryRun on update and patch changes nothing', async () => {
  const base = '/api/v1/namespaces/default/configmaps';
  const cm = (await c.admin.post(base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { a: '1' } })).body;
  const rev = c.cp.store.currentRevision();
  const put = await c.admin.put(`${base}/dry?dryRun=All`, { ...cm, data: { a: '2' } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.data, { a: '2' });
  const patch = await c.admin.patch(`${base}/dry?dryRun=All`, { data: { a: '3' } }, 'application/merge-patch+json');
  assert.equal(patch.status, 200);
  assert.deepEqual(patch.body.data, { a: '3' });
  assert.equal(c.cp.store.currentRevision(), rev);
  assert.deepEqual((await c.admin.get(`${base}/dry`)).body.data, { a: '1' });
});

test('the kubernetes Service exists and new Services get distinct cluster IPs', async () => {
  const k = await c.admin.get('/api/v1/namespaces/default/services/kubernetes');
  assert.equal(k.status, 200);
  assert.equal(k.body.spec.clusterIP, '10.96.0.1');
  const base = '/api/v1/namespaces/default/services';
  const made = await Promise.all([1, 2, 3, 4].map((i) => c.admin.post(base, { apiVersion: 'v1', kind: 'Service', metadata: { name: `ip${i}` }, spec: { ports: [{ port: 80 }] } })));
  const ips = made.map((m) => m.body.spec.clusterIP);
  assert.equal(new Set(ips).size, 4);
  const headless = await c.admin.post(base, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hl' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
  assert.equal(headless.body.spec.clusterIP, 'None');
});

test('SelfSubjectReview answers who the caller is and is never stored', async () => {
  for (const v of ['v1', 'v1beta1', 'v1alpha1']) {
    const r = await c.admin.post(`/apis/authentication.k8s.io/${v}/selfsubjectreviews`, { apiVersion: `authentication.k8s.io/${v}`, kind: 'SelfSubjectReview' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.status.userInfo.username, 'admin');
    assert.deepEqual(r.body.status.userInfo.groups, ['system:masters', 'system:authenticated']);
  }
  const get = await c.admin.get('/apis/authentication.k8s.io/v1/selfsubjectreviews');
  assert.equal(get.status, 405);
});

test('health endpoints and version as upstream', async () => {
  for (const ep of ['/healthz', '/livez', '/readyz']) {
    const r = await c.admin.get(ep);
    assert.equal(r.status, 200);
    assert.equal(r.text, 'ok');
    const v = await c.admin.get(`${ep}?verbose`);
    assert.equal(v.status, 200);
    assert.match(v.text, /^\[\+\]ping ok\n/);
    assert.match(v.text, new RegExp(`${ep.slice(1)} check passed\\n$`));
    assert.equal((await c.admin.get(`${ep}/ping`)).text, 'ok');
  }
  assert.equal((await c.admin.get('/healthz/nope')).status, 404);
  const ver = await c.admin.get('/version');
  assert.equal(ver.body.major, '1');
  assert.match(ver.body.minor, /^(2[7-9]|3[0-3])$/);
  assert.match(ver.body.gitVersion, /^v1\.\d+\.\d+/);
});

test('access reviews ask the authorizer chain', async () => {
  const ssar = await c.admin.post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb: 'create', resource: 'pods', namespace: 'default' } },
  });
  assert.equal(ssar.status, 201, ssar.text);
  assert.equal(ssar.body.status.allowed, true);
  const sar = await c.admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { user: 'dave', groups: ['dev'], resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'default' } },
  });
  assert.equal(sar.body.status.allowed, false);
  const root = await c.admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { user: 'erin', groups: ['system:masters'], nonResourceAttributes: { verb: 'get', path: '/healthz' } },
  });
  assert.equal(root.body.status.allowed, true);
  const both = await c.admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'x' } });
  assert.equal(both.status, 422);
  const local = await c.admin.post('/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'LocalSubjectAccessReview',
    spec: { user: 'x', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'other' } },
  });
  assert.equal(local.status, 422, local.text);
});
