import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readEvents, waitForRecords } from '../audit/helpers.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { CRDS, crdManifest } from '../helpers/crd.ts';
import { join } from 'node:path';
import { retryUntil as eventually } from '../helpers/retry-until.ts';

let c: TestCluster;
const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';

let auditLog: string;
before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-vap-'));
  auditLog = join(dataDir, 'audit.log');
  c = await startTestCluster({ dataDir, audit: { policy: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata', resources: [{ group: '', resources: ['configmaps'] }] }] } as never, logPath: auditLog } });
  for (const [name, labels] of [['prod', { env: 'prod' }], ['dev', { env: 'dev' }]] as const) {
    assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } })).status, 201);
  }
});
after(async () => {
  await c.close();
});

const rules = (resources: string[], group = '', version = 'v1') => [{ apiGroups: [group], apiVersions: [version], operations: ['CREATE', 'UPDATE'], resources }];

async function policy(name: string, spec: Record<string, unknown>): Promise<void> {
  const r = await c.admin.post(VAP, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec });
  assert.equal(r.status, 201, r.text);
}
async function binding(name: string, spec: Record<string, unknown>): Promise<void> {
  const r = await c.admin.post(VAPB, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec });
  assert.equal(r.status, 201, r.text);
}

let seq = 0;
const cm = (ns: string, data: Record<string, string>, labels: Record<string, string> = {}) => () =>
  c.admin.post(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${++seq}`, labels }, data });

test('a failed validation denies with the policy message, reason and code; Warn and namespaceSelector', async () => {
  await policy('cm-size', {
    failurePolicy: 'Fail',
    matchConstraints: { resourceRules: rules(['configmaps']) },
    validations: [
      { expression: "!has(object.data) || size(object.data) <= 2", message: 'too many keys', reason: 'Forbidden' },
      { expression: "!has(object.data) || !('bad' in object.data)", messageExpression: "'key bad is not allowed in ' + object.metadata.name" },
    ],
  });
  await binding('cm-size-prod', { policyName: 'cm-size', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } } } });
  const denied = await eventually(cm('prod', { a: '1', b: '2', c: '3' }), (r) => r.status !== 201);
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.body.reason, 'Forbidden');
  assert.match(denied.body.message, /^configmaps "cm-\d+" is forbidden: ValidatingAdmissionPolicy 'cm-size' with binding 'cm-size-prod' denied request: too many keys$/);
  const invalid = await cm('prod', { bad: 'x' })();
  assert.equal(invalid.status, 422, invalid.text);
  assert.equal(invalid.body.reason, 'Invalid');
  assert.match(invalid.body.message, /denied request: key bad is not allowed in cm-\d+$/);
  // dev is outside the binding's namespaceSelector.
  assert.equal((await cm('dev', { a: '1', b: '2', c: '3' })()).status, 201);
  await binding('cm-size-dev', { policyName: 'cm-size', validationActions: ['Warn'], matchResources: { namespaceSelector: { matchLabels: { env: 'dev' } } } });
  const warned = await eventually(cm('dev', { a: '1', b: '2', c: '3' }), (r) => r.headers.warning !== undefined);
  assert.equal(warned.status, 201, warned.text);
  assert.match(String(warned.headers.warning), /299 - "Validation failed for ValidatingAdmissionPolicy 'cm-size' with binding 'cm-size-dev': too many keys"/);
});

test('binding deleted: no longer enforced; policy updated: the new generation is enforced', async () => {
  await policy('no-x', { matchConstraints: { resourceRules: rules(['configmaps']) }, validations: [{ expression: "!has(object.data) || !('x' in object.data)", message: 'no x' }] });
  await binding('no-x', { policyName: 'no-x', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { env: 'dev' } } } });
  assert.equal((await eventually(cm('dev', { x: '1' }), (r) => r.status === 422)).status, 422);
  const cur = await c.admin.get(`${VAP}/no-x`);
  cur.body.spec.validations[0] = { expression: "!has(object.data) || !('y' in object.data)", message: 'no y' };
  assert.equal((await c.admin.put(`${VAP}/no-x`, cur.body)).status, 200);
  const y = await eventually(cm('dev', { y: '1' }), (r) => r.status === 422);
  assert.match(y.body.message, /denied request: no y$/);
  assert.equal((await cm('dev', { x: '1' })()).status, 201);
  assert.equal((await c.admin.delete(`${VAPB}/no-x`)).status, 200);
  assert.equal((await eventually(cm('dev', { y: '1' }), (r) => r.status === 201)).status, 201);
});

test('matchConditions and variables', async () => {
  await policy('labelled', {
    matchConstraints: { resourceRules: rules(['configmaps']) },
    matchConditions: [{ name: 'only-checked', expression: "has(object.metadata.labels) && 'checked' in object.metadata.labels" }],
    variables: [
      { name: 'owner', expression: "object.metadata.labels.?owner.orValue('')" },
      { name: 'ownerOk', expression: "variables.owner.startsWith('team-')" },
    ],
    validations: [{ expression: 'variables.ownerOk', messageExpression: "'owner ' + variables.owner + ' is not a team'" }],
  });
  await binding('labelled', { policyName: 'labelled', validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } } } });
  const denied = await eventually(cm('prod', {}, { checked: 'y', owner: 'bob' }), (r) => r.status === 422);
  assert.match(denied.body.message, /ValidatingAdmissionPolicy 'labelled' with binding 'labelled' denied request: owner bob is not a team$/);
  assert.equal((await cm('prod', {}, { checked: 'y', owner: 'team-a' })()).status, 201);
  // The match condition is false: the policy does not apply.
  assert.equal((await cm('prod', {}, { owner: 'bob' })()).status, 201);
});

test('params by name and by selector, parameterNotFoundAction Allow and Deny', async () => {
  const limits = (name: string, max: string, labels: Record<string, string> = {}) =>
    c.admin.post('/api/v1/namespaces/dev/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { max } });
  assert.equal((await limits('limit-one', '1', { limits: 'yes' })).status, 201);
  await policy('max-keys', {
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    matchConstraints: { resourceRules: rules(['secrets']) },
    validations: [{ expression: '!has(object.data) || size(object.data) <= int(params.data.max)', messageExpression: "'at most ' + params.data.max + ' keys (' + params.metadata.name + ')'" }],
  });
  await binding('max-keys-name', { policyName: 'max-keys', validationActions: ['Deny'], paramRef: { name: 'limit-one', namespace: 'dev', parameterNotFoundAction: 'Deny' } });
  const secret = (ns: string, n: number) => () =>
    c.admin.post(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `s-${++seq}` }, stringData: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])) });
  const byName = await eventually(secret('prod', 2), (r) => r.status === 422);
  assert.match(byName.body.message, /binding 'max-keys-name' denied request: at most 1 keys \(limit-one\)$/);
  assert.equal((await c.admin.delete(`${VAPB}/max-keys-name`)).status, 200);
  // By selector, in the request's namespace: none in prod, so Allow admits and Deny refuses.
  await binding('max-keys-sel', { policyName: 'max-keys', validationActions: ['Deny'], paramRef: { selector: { matchLabels: { limits: 'yes' } }, parameterNotFoundAction: 'Allow' } });
  const dev = await eventually(secret('dev', 2), (r) => r.status === 422);
  assert.match(dev.body.message, /binding 'max-keys-sel' denied request: at most 1 keys \(limit-one\)$/);
  assert.equal((await secret('prod', 5)()).status, 201);
  const b = await c.admin.get(`${VAPB}/max-keys-sel`);
  b.body.spec.paramRef.parameterNotFoundAction = 'Deny';
  assert.equal((await c.admin.put(`${VAPB}/max-keys-sel`, b.body)).status, 200);
  const none = await eventually(secret('prod', 1), (r) => r.status === 422);
  assert.match(none.body.message, /ValidatingAdmissionPolicy 'max-keys' with binding 'max-keys-sel' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction$/);
  assert.equal((await c.admin.delete(`${VAPB}/max-keys-sel`)).status, 200);
});

test('a runaway expression is stopped by the cost limit; failurePolicy Fail denies and Ignore admits', async () => {
  const runaway = "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, true))))))";
  for (const fp of ['Fail', 'Ignore']) {
    const name = `runaway-${fp.toLowerCase()}`;
    await policy(name, { failurePolicy: fp, matchConstraints: { resourceRules: rules(['services']) }, matchConditions: [{ name: 'mine', expression: `object.metadata.name.startsWith('${fp.toLowerCase()}-')` }], validations: [{ expression: runaway }] });
    await binding(name, { policyName: name, validationActions: ['Deny'] });
  }
  const svc = (prefix: string) => () => c.admin.post('/api/v1/namespaces/dev/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: `${prefix}-${++seq}` }, spec: { ports: [{ port: 80 }] } });
  const failed = await eventually(svc('fail'), (r) => r.status === 422);
  assert.equal(failed.status, 422, failed.text);
  assert.match(failed.body.message, /ValidatingAdmissionPolicy 'runaway-fail' with binding 'runaway-fail' denied request: expression '\[1,2,3.*' resulted in error: operation cancelled: actual cost limit exceeded$/);
  assert.equal((await svc('ignore')()).status, 201);
});

test('the per-binding budget (10,000,000): once spent, no further validation runs; failurePolicy Fail denies and Ignore admits', async () => {
  // Each costs about 780,000 (under the per-call limit); the 13th passes the binding's budget.
  const L = '[1,2,3,4,5,6,7,8,9,10]';
  const costly = { expression: `${L}.all(a, ${L}.all(b, ${L}.all(c, ${L}.all(d, ${L}.all(e, true)))))` };
  for (const fp of ['Fail', 'Ignore']) {
    const name = `budget-${fp.toLowerCase()}`;
    await policy(name, { failurePolicy: fp, matchConstraints: { resourceRules: rules(['serviceaccounts']) }, matchConditions: [{ name: 'mine', expression: `object.metadata.name.startsWith('${name}-')` }], validations: Array.from({ length: 14 }, () => costly) });
    await binding(name, { policyName: name, validationActions: ['Deny'] });
  }
  const sa = (prefix: string) => () => c.admin.post('/api/v1/namespaces/dev/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `${prefix}-${++seq}` } });
  const failed = await eventually(sa('budget-fail'), (r) => r.status === 422);
  assert.equal(failed.status, 422, failed.text);
  assert.match(failed.body.message, /ValidatingAdmissionPolicy 'budget-fail' with binding 'budget-fail' denied request: validation failed due to running out of cost budget, no further validation rules will be run$/);
  assert.equal((await sa('budget-ignore')()).status, 201);
});

test('audit annotations and Audit failures are in the audit record of the request', async () => {
  await policy('audited', {
    matchConstraints: { resourceRules: rules(['configmaps']) },
    validations: [{ expression: "!has(object.data) || !('audit-me' in object.data)", message: 'audit-me is discouraged' }],
    auditAnnotations: [{ key: 'keys', valueExpression: "has(object.data) ? string(size(object.data)) + ' keys' : ''" }],
  });
  await binding('audited', { policyName: 'audited', validationActions: ['Audit'], matchResources: { namespaceSelector: { matchLabels: { env: 'dev' } } } });
  // Audit changes nothing in the answer; a Warn binding of the same policy shows when both are in force.
  await binding('audited-warn', { policyName: 'audited', validationActions: ['Warn'], matchResources: { namespaceSelector: { matchLabels: { env: 'dev' } } } });
  const created = await eventually(cm('dev', { 'audit-me': '1' }), (r) => /'audited' with binding 'audited-warn'/.test(String(r.headers.warning)));
  assert.equal(created.status, 201, created.text);
  const id = String(created.headers['audit-id']);
  await waitForRecords(auditLog, (recs) => recs.some((r) => r.auditID === id && r.stage === 'ResponseComplete'), 'the create');
  const rec = readEvents(auditLog).find((r) => r.auditID === id && r.stage === 'ResponseComplete');
  assert.equal(rec.responseStatus.code, 201);
  assert.equal(rec.annotations['audited/keys'], '1 keys');
  assert.deepEqual(JSON.parse(rec.annotations['validation.policy.admission.k8s.io/validation_failure']), [
    { message: 'audit-me is discouraged', policy: 'audited', binding: 'audited', expressionIndex: 0, validationActions: ['Audit'] },
  ]);
});

test('a typo in a field name is reported in status.typeChecking; observedGeneration follows', async () => {
  await policy('typo', {
    matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] },
    validations: [{ expression: 'object.spec.replicass <= 5' }, { expression: 'object.spec.replicas <= 5' }],
  });
  const got = await eventually(() => c.admin.get(`${VAP}/typo`), (r) => r.body?.status?.observedGeneration === 1);
  assert.deepEqual(got.body.status.typeChecking, {
    expressionWarnings: [{ fieldRef: 'spec.validations[0].expression', warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'replicass'\n | object.spec.replicass <= 5\n | ...........^\n" }],
  });
  got.body.spec.validations = [{ expression: 'object.spec.replicas <= 5' }];
  assert.equal((await c.admin.put(`${VAP}/typo`, got.body)).status, 200);
  const fixed = await eventually(() => c.admin.get(`${VAP}/typo`), (r) => r.body?.status?.observedGeneration === 2);
  assert.deepEqual(fixed.body.status.typeChecking, {});
});

test('kubectl: a policy applied from YAML denies with its message and warns under Warn', { skip: kubectlSkip(33) }, async () => {
  const kc = join(c.dataDir, 'admin.kubeconfig');
  const setup = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: team-label}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [serviceaccounts]}
  validations:
  - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
    message: every service account needs a team label
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: team-label-prod}
spec:
  policyName: team-label
  validationActions: [Deny]
  matchResources: {namespaceSelector: {matchLabels: {env: prod}}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: team-label-dev}
spec:
  policyName: team-label
  validationActions: [Warn]
  matchResources: {namespaceSelector: {matchLabels: {env: dev}}}
`;
  const applied = await runKubectl(33, kc, ['apply', '-f', '-'], setup);
  assert.equal(applied.code, 0, applied.stderr);
  const sa = (ns: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa-${++seq}, namespace: ${ns}}\n`;
  let denied = await runKubectl(33, kc, ['create', '-f', '-'], sa('prod'));
  for (let i = 0; i < 100 && denied.code === 0; i++) {
    await new Promise((res) => setTimeout(res, 50));
    denied = await runKubectl(33, kc, ['create', '-f', '-'], sa('prod'));
  }
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Error from server \(Forbidden\): error when creating "STDIN": serviceaccounts "sa-\d+" is forbidden: ValidatingAdmissionPolicy 'team-label' with binding 'team-label-prod' denied request: every service account needs a team label/);
  const warned = await runKubectl(33, kc, ['create', '-f', '-'], sa('dev'));
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /Warning: Validation failed for ValidatingAdmissionPolicy 'team-label' with binding 'team-label-dev': every service account needs a team label/);
  const listed = await runKubectl(33, kc, ['get', 'validatingadmissionpolicybindings']);
  assert.match(listed.stdout, /team-label-prod/);
});

test('kubectl: params by selector with parameterNotFoundAction Deny, the cost limit under failurePolicy Fail, status.typeChecking read back', { skip: kubectlSkip(33) }, async () => {
  const kc = join(c.dataDir, 'admin.kubeconfig');
  const runaway = "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, true))))))";
  const setup = `apiVersion: v1
kind: ConfigMap
metadata: {name: kc-limits, namespace: dev, labels: {kc-limits: "yes"}}
data: {max: "1"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: kc-max-keys}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [secrets]}
  matchConditions:
  - {name: kubectl-only, expression: "object.metadata.name.startsWith('kc-')"}
  validations:
  - expression: "!has(object.data) || size(object.data) <= int(params.data.max)"
    messageExpression: "'at most ' + params.data.max + ' keys'"
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: kc-max-keys}
spec:
  policyName: kc-max-keys
  validationActions: [Deny]
  paramRef:
    selector: {matchLabels: {kc-limits: "yes"}}
    parameterNotFoundAction: Deny
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: kc-runaway}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [services]}
  matchConditions:
  - {name: kubectl-only, expression: "object.metadata.name.startsWith('kc-')"}
  validations:
  - expression: "${runaway}"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: kc-runaway}
spec: {policyName: kc-runaway, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: kc-typo}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicass <= 5"
`;
  const applied = await runKubectl(33, kc, ['apply', '-f', '-'], setup);
  assert.equal(applied.code, 0, applied.stderr);
  const secret = (ns: string) => runKubectl(33, kc, ['create', 'secret', 'generic', `kc-${++seq}`, '-n', ns, '--from-literal=a=1', '--from-literal=b=2']);
  // The policies reach the plugin through a watch: retry until the first denial.
  let byParams = await secret('dev');
  for (let i = 0; i < 100 && byParams.code === 0; i++) {
    await new Promise((res) => setTimeout(res, 50));
    byParams = await secret('dev');
  }
  assert.match(byParams.stderr, /error: failed to create secret secrets "kc-\d+" is forbidden: ValidatingAdmissionPolicy 'kc-max-keys' with binding 'kc-max-keys' denied request: at most 1 keys\n/);
  // No ConfigMap selected in prod: Deny refuses by the policy's failurePolicy.
  const none = await secret('prod');
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /ValidatingAdmissionPolicy 'kc-max-keys' with binding 'kc-max-keys' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction\n/);
  const svc = await runKubectl(33, kc, ['create', 'service', 'clusterip', `kc-${++seq}`, '-n', 'dev', '--tcp=80:80']);
  assert.notEqual(svc.code, 0);
  assert.match(svc.stderr, /ValidatingAdmissionPolicy 'kc-runaway' with binding 'kc-runaway' denied request: expression '\[1,2,3.*' resulted in error: operation cancelled: actual cost limit exceeded\n/);
  let warning = '';
  for (let i = 0; i < 100 && !warning; i++) {
    const got = await runKubectl(33, kc, ['get', 'validatingadmissionpolicy', 'kc-typo', '-o', 'jsonpath={.status.typeChecking.expressionWarnings[0].warning}']);
    warning = got.stdout;
    if (!warning) await new Promise((res) => setTimeout(res, 50));
  }
  assert.match(warning, /^apps\/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'replicass'/);
});

test('authorizer: a check against the server authorizer as the requesting user', async () => {
  const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces/dev';
  const role = (name: string, resources: string[], verbs: string[]) =>
    c.admin.post(`${rbac}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name }, rules: [{ apiGroups: [''], resources, verbs }] });
  const bind = (name: string) =>
    c.admin.post(`${rbac}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }] });
  assert.equal((await role('cm-writer', ['configmaps'], ['create'])).status, 201);
  assert.equal((await bind('cm-writer')).status, 201);
  await policy('secret-readers-only', {
    matchConstraints: { resourceRules: rules(['configmaps']) },
    matchConditions: [{ name: 'sensitive', expression: "has(object.metadata.labels) && object.metadata.labels.?sensitive.orValue('') == 'yes'" }],
    validations: [{ expression: "authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('get').allowed()", message: 'only those who may read secrets may write sensitive config', reason: 'Forbidden' }],
  });
  await binding('secret-readers-only', { policyName: 'secret-readers-only', validationActions: ['Deny'] });
  const bob = c.as('bob');
  const create = () => bob.post('/api/v1/namespaces/dev/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `bob-${++seq}`, namespace: 'dev', labels: { sensitive: 'yes' } } });
  const denied = await eventually(create, (r) => r.status === 403);
  assert.equal(denied.status, 403, denied.text);
  assert.match(denied.body.message, /ValidatingAdmissionPolicy 'secret-readers-only' with binding 'secret-readers-only' denied request: only those who may read secrets may write sensitive config$/);
  // The admin may read secrets: admitted.
  assert.equal((await cm('dev', {}, { sensitive: 'yes' })()).status, 201);
  assert.equal((await role('secret-reader', ['secrets'], ['get'])).status, 201);
  assert.equal((await bind('secret-reader')).status, 201);
  assert.equal((await eventually(create, (r) => r.status === 201)).status, 201);
});

test('params from a custom resource (cluster-scoped CRD), and a paramKind that is not served fails by failurePolicy', async () => {
  assert.equal((await c.admin.post(CRDS, crdManifest('policy.example.com', 'replicalimits', 'ReplicaLimit', 'v1', 'Cluster'))).status, 201);
  const limit = () => c.admin.post('/apis/policy.example.com/v1/replicalimits', { apiVersion: 'policy.example.com/v1', kind: 'ReplicaLimit', metadata: { name: 'small' }, maxReplicas: 2 });
  assert.equal((await eventually(limit, (r) => r.status !== 404)).status, 201);
  await policy('replica-limit', {
    paramKind: { apiVersion: 'policy.example.com/v1', kind: 'ReplicaLimit' },
    matchConstraints: { resourceRules: rules(['replicationcontrollers']) },
    validations: [{ expression: 'object.spec.replicas <= params.maxReplicas', messageExpression: "'at most ' + string(params.maxReplicas) + ' replicas (' + params.kind + ' ' + params.metadata.name + ')'" }],
  });
  await binding('replica-limit', { policyName: 'replica-limit', validationActions: ['Deny'], paramRef: { name: 'small', parameterNotFoundAction: 'Deny' } });
  const rc = (replicas: number) => () =>
    c.admin.post('/api/v1/namespaces/dev/replicationcontrollers', {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: `rc-${++seq}` },
      spec: { replicas, selector: { app: 'x' }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
  const denied = await eventually(rc(5), (r) => r.status === 422);
  assert.match(denied.body.message, /denied request: at most 2 replicas \(ReplicaLimit small\)$/);
  assert.equal((await rc(1)()).status, 201);

  await policy('unserved-param', { paramKind: { apiVersion: 'nope.example.com/v1', kind: 'Nope' }, matchConstraints: { resourceRules: rules(['replicationcontrollers']) }, validations: [{ expression: 'true' }] });
  await binding('unserved-param', { policyName: 'unserved-param', validationActions: ['Deny'], paramRef: { name: 'x', parameterNotFoundAction: 'Allow' } });
  const unserved = await eventually(rc(1), (r) => r.status === 422);
  assert.match(unserved.body.message, /ValidatingAdmissionPolicy 'unserved-param' denied request: failed to configure policy: failed to find resource referenced by paramKind: 'nope.example.com\/v1, Kind=Nope'$/);
  const p = await c.admin.get(`${VAP}/unserved-param`);
  p.body.spec.failurePolicy = 'Ignore';
  assert.equal((await c.admin.put(`${VAP}/unserved-param`, p.body)).status, 200);
  assert.equal((await eventually(rc(1), (r) => r.status === 201)).status, 201);
});
