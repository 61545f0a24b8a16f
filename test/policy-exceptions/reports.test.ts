/**
 * Background policy reports through the API server: the policy-reports controller (its own
 * identity and bootstrap role) evaluates ValidatingAdmissionPolicies against existing objects and
 * writes a PolicyReport per namespace; a failing pod is listed and the report follows its fix;
 * with 1,000 failing objects the report stays bounded while its summary counts them all.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { join } from 'node:path';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { DEFAULT_MAX_RESULTS, REPORT_NAME, TRUNCATED_ANNOTATION } from '../../src/cluster/controllers/policy-reports/build-report.ts';

const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
const reportPath = (ns: string) => `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${ns}/policyreports/${REPORT_NAME}`;

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ controllers: ['policy-reports-controller'] });
  for (const name of ['apps', 'bulk']) assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).status, 201);
});
after(async () => {
  await c?.close();
});

async function policy(name: string, resource: string, expression: string, message: string): Promise<void> {
  let r = await c.admin.post(VAP, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: [resource] }] }, validations: [{ expression, message }] },
  });
  assert.equal(r.status, 201, r.text);
  r = await c.admin.post(VAPB, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName: name, validationActions: ['Audit'] } });
  assert.equal(r.status, 201, r.text);
}

/** The report once `ok` holds (the controller writes at most once per 2 s per report). */
async function reportWhen(ns: string, ok: (r: any) => boolean, what: string): Promise<any> {
  let last: any;
  for (let i = 0; i < 600; i++) {
    const r = await c.admin.get(reportPath(ns));
    if (r.status === 200) {
      last = r.body;
      if (ok(last)) return last;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.fail(`the report of ${ns} never had ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

test('the controller reads what view reads, not Secrets (least privilege: its role aggregates view, not every resource)', async () => {
  const may = async (verb: string, resource: string): Promise<boolean> => {
    const r = await c.admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'system:serviceaccount:kube-system:policy-reports-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'], resourceAttributes: { verb, resource } } });
    assert.equal(r.status, 201, r.text);
    return r.body.status.allowed === true;
  };
  // The aggregated rules are filled in by the API server's aggregation controller.
  for (let i = 0; i < 100 && !(await may('watch', 'pods')); i++) await new Promise((res) => setTimeout(res, 50));
  assert.deepEqual([await may('list', 'pods'), await may('watch', 'configmaps'), await may('list', 'secrets'), await may('get', 'secrets'), await may('list', 'nodes')], [true, true, false, false, false]);
});

test('a failing existing pod is listed, and the report is updated when it is fixed', async () => {
  // The pod exists before the policy: only a background check can find it.
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'nginx:latest' }] } };
  let r = await c.admin.post('/api/v1/namespaces/apps/pods', pod);
  for (let i = 0; i < 100 && r.status !== 201; i++) {
    // The namespace's default ServiceAccount is made by its controller.
    await new Promise((res) => setTimeout(res, 50));
    r = await c.admin.post('/api/v1/namespaces/apps/pods', pod);
  }
  assert.equal(r.status, 201, r.text);
  await policy('require-team', 'pods', "has(object.metadata.labels) && 'team' in object.metadata.labels", 'pods need a team label');

  const failing = await reportWhen('apps', (rep) => rep.summary?.fail === 1, 'one failure');
  assert.equal(failing.kind, 'PolicyReport');
  assert.deepEqual(failing.summary, { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 });
  const [res] = failing.results;
  assert.equal(res.policy, 'require-team');
  assert.equal(res.rule, 'require-team');
  assert.equal(res.result, 'fail');
  assert.equal(res.source, 'ValidatingAdmissionPolicy');
  assert.equal(res.message, 'pods need a team label');
  assert.deepEqual(res.resources, [{ apiVersion: 'v1', kind: 'Pod', namespace: 'apps', name: 'web', uid: r.body.metadata.uid }]);
  assert.equal(typeof res.timestamp.seconds, 'number');

  // Fixed: the same report now passes.
  const cur = (await c.admin.get('/api/v1/namespaces/apps/pods/web')).body;
  cur.metadata.labels.team = 'a';
  assert.equal((await c.admin.put('/api/v1/namespaces/apps/pods/web', cur)).status, 200);
  const fixed = await reportWhen('apps', (rep) => rep.summary?.pass === 1, 'the fix');
  assert.deepEqual(fixed.summary, { pass: 1, fail: 0, warn: 0, error: 0, skip: 0 });
  assert.equal(fixed.results[0].result, 'pass');
  assert.equal(fixed.metadata.uid, failing.metadata.uid, 'one report per namespace, updated in place');
});

test('kubectl get polr shows the summary columns', { skip: kubectlSkip(33) }, async () => {
  const r = await runKubectl(33, join(c.dataDir, 'admin.kubeconfig'), ['get', 'polr', '-n', 'apps']);
  assert.equal(r.code, 0, r.stderr);
  const [header, row] = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
  assert.deepEqual(header, ['NAME', 'PASS', 'FAIL', 'WARN', 'ERROR', 'SKIP', 'AGE']);
  assert.deepEqual(row!.slice(0, 6), [REPORT_NAME, '1', '0', '0', '0', '0']);
});

test('1,000 failing objects: the report lists a bounded number, the summary counts them all', async () => {
  await policy('cm-owner', 'configmaps', "has(object.metadata.labels) && 'owner' in object.metadata.labels", 'configmaps need an owner');
  for (let start = 0; start < 1000; start += 50) {
    const batch = Array.from({ length: 50 }, (_, i) => c.admin.post('/api/v1/namespaces/bulk/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${start + i}` }, data: { k: 'v' } }));
    for (const r of await Promise.all(batch)) assert.equal(r.status, 201, r.text);
  }
  // kube-root-ca.crt is there too (published by its controller), failing as well.
  const rep = await reportWhen('bulk', (x) => x.summary?.fail >= 1000, '1,000 failures');
  assert.ok(rep.summary.fail <= 1001, JSON.stringify(rep.summary));
  assert.equal(rep.results.length, DEFAULT_MAX_RESULTS);
  assert.ok(rep.results.every((x: any) => x.result === 'fail' && x.policy === 'cm-owner'));
  assert.equal(rep.metadata.annotations[TRUNCATED_ANNOTATION], 'true');
  assert.ok(JSON.stringify(rep).length < 64 * 1024, `report of ${JSON.stringify(rep).length} bytes`);
  // Only one report in the namespace.
  const list = await c.admin.get('/apis/wgpolicyk8s.io/v1alpha2/namespaces/bulk/policyreports');
  assert.equal(list.body.items.length, 1);
});
