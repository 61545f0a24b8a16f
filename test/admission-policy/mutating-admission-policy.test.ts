import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { reply, startWebhook } from '../../src/admission/webhook/test-support.ts';
import { retryUntil as eventually } from '../helpers/retry-until.ts';

let c: TestCluster;
const GV = 'admissionregistration.k8s.io/v1beta1';
const MAP = `/apis/${GV}/mutatingadmissionpolicies`;
const MAPB = `/apis/${GV}/mutatingadmissionpolicybindings`;
const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';

before(async () => {
  c = await startTestCluster({ admission: { enable: ['MutatingAdmissionPolicy'] } });
});
after(async () => {
  await c.close();
});

async function namespace(name: string): Promise<void> {
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { t: name } } })).status, 201);
}
const cmRules = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }];

async function policy(name: string, spec: Record<string, unknown>): Promise<void> {
  const r = await c.admin.post(MAP, { apiVersion: GV, kind: 'MutatingAdmissionPolicy', metadata: { name }, spec: { matchConstraints: { resourceRules: cmRules }, reinvocationPolicy: 'Never', ...spec } });
  assert.equal(r.status, 201, r.text);
}
/** A binding of `name` (same name) for the namespace labelled t=<ns>. */
async function binding(name: string, ns: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await c.admin.post(MAPB, { apiVersion: GV, kind: 'MutatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName: name, matchResources: { namespaceSelector: { matchLabels: { t: ns } } }, ...extra } });
  assert.equal(r.status, 201, r.text);
}

let seq = 0;
const cm = (ns: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => () =>
  c.admin.post(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${++seq}`, labels }, data });

test('ApplyConfiguration merges into the object before validation: a ValidatingAdmissionPolicy sees the mutated object', async () => {
  await namespace('apply');
  await policy('team-default', {
    matchConditions: [{ name: 'no-team', expression: "!has(object.metadata.labels) || !('team' in object.metadata.labels)" }],
    variables: [{ name: 'team', expression: "namespaceObject.metadata.name + '-team'" }],
    mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {'team': variables.team}}, data: {'added': 'yes'}}" } }],
  });
  // Validation runs after every mutation: without the policy above this would deny.
  const vap = await c.admin.post(VAP, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'needs-team' }, spec: { matchConstraints: { resourceRules: cmRules }, validations: [{ expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", message: 'team label required' }] } });
  assert.equal(vap.status, 201, vap.text);
  assert.equal((await c.admin.post(VAPB, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'needs-team' }, spec: { policyName: 'needs-team', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { t: 'apply' } } } } })).status, 201);
  assert.equal((await eventually(cm('apply', {}, { x: '1' }), (r) => r.status === 422)).status, 422);
  await binding('team-default', 'apply');
  const created = await eventually(cm('apply', {}, { x: '1' }), (r) => r.status === 201);
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(created.body.metadata.labels, { team: 'apply-team' });
  assert.deepEqual(created.body.data, { x: '1', added: 'yes' });
  // The match condition is false when a team is set: left alone.
  const own = await cm('apply', { team: 'mine' })();
  assert.deepEqual([own.status, own.body.metadata.labels, own.body.data], [201, { team: 'mine' }, {}]);
});

test('JSONPatch: operations in order with jsonpatch.escapeKey; a failed test operation skips the patch', async () => {
  await namespace('jsonpatch');
  await policy('annotate', {
    mutations: [
      {
        patchType: 'JSONPatch',
        jsonPatch: {
          expression: "[JSONPatch{op: 'test', path: '/metadata/labels/skip', value: 'no'}, JSONPatch{op: 'add', path: '/metadata/annotations', value: {}}, JSONPatch{op: 'add', path: '/metadata/annotations/' + jsonpatch.escapeKey('example.com/by'), value: request.userInfo.username}]",
        },
      },
    ],
  });
  await binding('annotate', 'jsonpatch');
  const created = await eventually(cm('jsonpatch', { skip: 'no' }), (r) => r.body?.metadata?.annotations !== undefined);
  assert.deepEqual(created.body.metadata.annotations, { 'example.com/by': 'admin' });
  const skipped = await cm('jsonpatch', { skip: 'yes' })();
  assert.equal(skipped.status, 201);
  assert.equal(skipped.body.metadata.annotations, undefined);
});

test('params by name and by selector; parameterNotFoundAction Deny fails by failurePolicy', async () => {
  await namespace('params');
  for (const [name, labels, value] of [['defaults', { role: 'defaults' }, 'from-name'], ['extra', { role: 'extra' }, 'from-selector']] as const) {
    assert.equal((await c.admin.post('/api/v1/namespaces/params/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { value } })).status, 201);
  }
  await policy('from-params', {
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    matchConditions: [{ name: 'not-a-param', expression: "!has(object.metadata.labels) || !('role' in object.metadata.labels)" }],
    mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {params.metadata.name: params.data.value}}}" } }],
  });
  await binding('from-params', 'params', { paramRef: { name: 'defaults', parameterNotFoundAction: 'Deny' } });
  const byName = await eventually(cm('params'), (r) => r.body?.metadata?.labels !== undefined);
  assert.deepEqual(byName.body.metadata.labels, { defaults: 'from-name' });
  const b = await c.admin.get(`${MAPB}/from-params`);
  b.body.spec.paramRef = { selector: { matchLabels: { role: 'extra' } }, parameterNotFoundAction: 'Deny' };
  assert.equal((await c.admin.put(`${MAPB}/from-params`, b.body)).status, 200);
  const bySelector = await eventually(cm('params'), (r) => r.body?.metadata?.labels?.extra !== undefined);
  assert.deepEqual(bySelector.body.metadata.labels, { extra: 'from-selector' });
  b.body.spec.paramRef = { name: 'missing', parameterNotFoundAction: 'Deny' };
  delete b.body.metadata.resourceVersion;
  assert.equal((await c.admin.put(`${MAPB}/from-params`, b.body)).status, 200);
  const denied = await eventually(cm('params'), (r) => r.status === 403);
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.body.reason, 'Invalid');
  assert.equal(denied.body.message, "policy 'from-params' with binding 'from-params' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction");
});

test('failurePolicy: a failing mutation denies under Fail, is skipped under Ignore', async () => {
  await namespace('failing');
  await policy('broken', {
    failurePolicy: 'Fail',
    mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {'x': object.data.missing}}}" } }],
  });
  await binding('broken', 'failing');
  const denied = await eventually(cm('failing', {}, { a: '1' }), (r) => r.status === 403);
  assert.equal(denied.body.reason, 'Invalid');
  assert.match(denied.body.message, /^policy 'broken' with binding 'broken' denied request: expression '.*' resulted in error: no such key: missing$/);
  const p = await c.admin.get(`${MAP}/broken`);
  p.body.spec.failurePolicy = 'Ignore';
  assert.equal((await c.admin.put(`${MAP}/broken`, p.body)).status, 200);
  const admitted = await eventually(cm('failing', {}, { a: '1' }), (r) => r.status === 201);
  assert.deepEqual(admitted.body.metadata.labels, {});
});

test('a runaway mutation is stopped by the cost limit and fails by failurePolicy', async () => {
  await namespace('runaway');
  const l = '[1,2,3,4,5,6,7,8,9,10]';
  const runaway = `${l}.all(a, ${l}.all(b, ${l}.all(c, ${l}.all(d, ${l}.all(e, ${l}.all(f, true))))))`;
  await policy('runaway', { mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: `Object{metadata: Object.metadata{labels: {'ok': string(${runaway})}}}` } }] });
  await binding('runaway', 'runaway');
  const denied = await eventually(cm('runaway'), (r) => r.status === 403);
  assert.equal(denied.status, 403, denied.text);
  assert.match(denied.body.message, /^policy 'runaway' with binding 'runaway' denied request: expression 'Object\{.*' resulted in error: operation cancelled: actual cost limit exceeded$/);
});

test('reinvocationPolicy IfNeeded runs a policy again after a later one changed the object; Never does not', async () => {
  for (const [ns, reinvocationPolicy] of [['reinvoke-ifneeded', 'IfNeeded'], ['reinvoke-never', 'Never']] as const) {
    await namespace(ns);
    // Policies run in name order: "<ns>-1-seen" before "<ns>-2-set".
    await policy(`${ns}-1-seen`, { reinvocationPolicy, mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {'seen': object.metadata.?labels.?b.orValue('none')}}}" } }] });
    await policy(`${ns}-2-set`, { mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {'b': 'set'}}}" } }] });
    await binding(`${ns}-1-seen`, ns);
    await binding(`${ns}-2-set`, ns);
  }
  const ifNeeded = await eventually(cm('reinvoke-ifneeded'), (r) => r.body?.metadata?.labels?.b === 'set' && r.body.metadata.labels.seen !== undefined);
  assert.deepEqual(ifNeeded.body.metadata.labels, { b: 'set', seen: 'set' });
  const never = await eventually(cm('reinvoke-never'), (r) => r.body?.metadata?.labels?.b === 'set' && r.body.metadata.labels.seen !== undefined);
  assert.deepEqual(never.body.metadata.labels, { b: 'set', seen: 'none' });
});

test('reinvocation after a mutating webhook (which runs after the policies) changed the object', async () => {
  const wh = await startWebhook((review) => reply(review, { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels/b', value: 'hook' }])).toString('base64') }));
  try {
    await namespace('reinvoke-webhook');
    const hook = await c.admin.post('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'label-b' },
      webhooks: [{ name: 'label-b.example.com', clientConfig: { url: `${wh.url}/mutate`, caBundle: wh.caBundle }, rules: cmRules, sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Fail', namespaceSelector: { matchLabels: { t: 'reinvoke-webhook' } } }],
    });
    assert.equal(hook.status, 201, hook.text);
    await policy('reinvoke-webhook', { reinvocationPolicy: 'IfNeeded', mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {'seen': object.metadata.?labels.?b.orValue('none')}}}" } }] });
    await binding('reinvoke-webhook', 'reinvoke-webhook');
    const created = await eventually(cm('reinvoke-webhook'), (r) => r.body?.metadata?.labels?.b === 'hook' && r.body.metadata.labels.seen !== undefined);
    assert.deepEqual(created.body.metadata.labels, { seen: 'hook', b: 'hook' });
  } finally {
    await c.admin.delete('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/label-b');
    await wh.close();
  }
});

test('validation: expressions are compiled at create, with upstream field errors', async () => {
  const bad = await c.admin.post(MAP, {
    apiVersion: GV,
    kind: 'MutatingAdmissionPolicy',
    metadata: { name: 'bad' },
    spec: {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['configmaps'] }] },
      mutations: [
        { patchType: 'ApplyConfiguration', applyConfiguration: { expression: "'not an object'" } },
        { patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: ' } },
        { patchType: 'JSONPatch', applyConfiguration: { expression: 'Object{}' } },
      ],
    },
  });
  assert.equal(bad.status, 422, bad.text);
  const causes = (bad.body.details.causes as { field: string; message: string }[]).map((x) => `${x.field}: ${x.message}`);
  assert.ok(causes.includes('spec.matchConstraints.resourceRules.operations: Unsupported value: "DELETE": supported values: "*", "CONNECT", "CREATE", "UPDATE"'), causes.join('\n'));
  assert.ok(causes.includes(`spec.mutations[0].applyConfiguration.expression: Invalid value: "'not an object'": must evaluate to Object but got string`), causes.join('\n'));
  assert.ok(causes.some((x) => x.startsWith('spec.mutations[1].jsonPatch.expression: Invalid value: "[JSONPatch{op: ": compilation failed: ')), causes.join('\n'));
  assert.ok(causes.includes('spec.mutations[2].jsonPatch: Required value: must be specified when patchType is JSONPatch'), causes.join('\n'));
  assert.ok(causes.includes('spec.mutations[2].applyConfiguration: Invalid value: "{applyConfiguration}": must not be specified when patchType is JSONPatch'), causes.join('\n'));
  assert.ok(causes.includes('spec.reinvocationPolicy: Required value'), causes.join('\n'));
  // The same rule for ValidatingAdmissionPolicy: a typo in CEL is refused, not failed at request time.
  const vap = await c.admin.post(VAP, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'bad-cel' }, spec: { matchConstraints: { resourceRules: cmRules }, validations: [{ expression: 'object.x ==' }, { expression: "'str'" }], variables: [{ name: 'in', expression: '1' }] } });
  assert.equal(vap.status, 422, vap.text);
  const vc = (vap.body.details.causes as { field: string; message: string }[]).map((x) => `${x.field}: ${x.message}`);
  assert.ok(vc.some((x) => x.startsWith('spec.validations[0].expression: Invalid value: "object.x ==": compilation failed: ')), vc.join('\n'));
  assert.ok(vc.includes(`spec.validations[1].expression: Invalid value: "'str'": must evaluate to bool but got string`), vc.join('\n'));
  assert.ok(vc.includes('spec.variables[0].name: Invalid value: "in": name is not a valid CEL identifier'), vc.join('\n'));
});

test('kubectl 1.33: a v1alpha1 policy applied from YAML mutates what kubectl creates', { skip: kubectlSkip(33) }, async () => {
  await namespace('kubectl');
  const kc = join(c.dataDir, 'admin.kubeconfig');
  const yaml = `apiVersion: admissionregistration.k8s.io/v1alpha1
kind: MutatingAdmissionPolicy
metadata: {name: owner-label}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
  reinvocationPolicy: Never
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >
        Object{metadata: Object.metadata{labels: {"owner": request.userInfo.username}}}
---
apiVersion: admissionregistration.k8s.io/v1alpha1
kind: MutatingAdmissionPolicyBinding
metadata: {name: owner-label}
spec:
  policyName: owner-label
  matchResources: {namespaceSelector: {matchLabels: {t: kubectl}}}
`;
  const applied = await runKubectl(33, kc, ['apply', '-f', '-'], yaml);
  assert.equal(applied.code, 0, applied.stderr);
  let label = '';
  for (let i = 0; i < 100 && label !== 'admin'; i++) {
    const name = `k-${++seq}`;
    assert.equal((await runKubectl(33, kc, ['-n', 'kubectl', 'create', 'configmap', name])).code, 0);
    label = (await runKubectl(33, kc, ['-n', 'kubectl', 'get', 'configmap', name, '-o', 'jsonpath={.metadata.labels.owner}'])).stdout;
  }
  assert.equal(label, 'admin');
  const listed = await runKubectl(33, kc, ['get', 'mutatingadmissionpolicies.v1beta1.admissionregistration.k8s.io', 'owner-label', '-o', 'jsonpath={.apiVersion} {.spec.failurePolicy}']);
  assert.equal(listed.stdout, 'admissionregistration.k8s.io/v1beta1 Fail');
});

test('off by default as upstream: neither the plugin nor its API without --enable-admission-plugins', async () => {
  const plain = await startTestCluster();
  try {
    assert.equal((await plain.admin.get(MAP)).status, 404);
    const gv = await plain.admin.get('/apis/admissionregistration.k8s.io/v1beta1');
    assert.ok(gv.status === 404 || !(gv.body.resources as { name: string }[]).some((r) => r.name.startsWith('mutatingadmissionpolic')));
  } finally {
    await plain.close();
  }
});
