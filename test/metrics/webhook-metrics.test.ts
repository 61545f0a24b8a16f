/**
 * Admission webhooks in the metrics (apiserver_admission_webhook_admission_duration_seconds by
 * webhook name) and in a request's trace (the mutating webhook's patches).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { reply, startWebhook, type TestWebhook } from '../../src/admission/webhook/test-support.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { parseMetrics, total } from './prom-text.ts';

let c: TestCluster;
let wh: TestWebhook;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

before(async () => {
  wh = await startWebhook((review, path) => {
    if (path.startsWith('/mutate')) return reply(review, { allowed: true, patchType: 'JSONPatch', patch: b64([{ op: 'add', path: '/metadata/labels', value: { stamped: 'yes' } }]) });
    const name: string = review.request.object?.metadata?.name ?? '';
    return reply(review, name.startsWith('deny') ? { allowed: false, status: { message: 'refused' } } : { allowed: true });
  });
  c = await startTestCluster();
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hooked' } })).status, 201);
  const common = { rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }], sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Fail', timeoutSeconds: 2, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'hooked' } } };
  for (const [res, kind, name, path] of [['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', 'stamp', '/mutate'], ['validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', 'check', '/validate']] as const) {
    const r = await c.admin.post(`/apis/admissionregistration.k8s.io/v1/${res}`, { apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name }, webhooks: [{ name: `${name}.example.com`, clientConfig: { url: `${wh.url}${path}`, caBundle: wh.caBundle }, ...common }] });
    assert.equal(r.status, 201, r.text);
  }
  // The configurations reach the plugins through a watch: wait until both webhooks are called.
  for (let i = 0; i < 100; i++) {
    const before = wh.seen.length;
    const r = await c.admin.post('/api/v1/namespaces/hooked/pods', pod(`warmup-${i}`));
    if (wh.seen.length >= before + 2 && r.status === 201) break;
    await new Promise((res) => setTimeout(res, 50));
  }
});
after(async () => {
  await c?.close();
  await wh?.close();
});

test('each webhook call is timed by webhook name, type and verdict', async () => {
  assert.equal((await c.admin.post('/api/v1/namespaces/hooked/pods', pod('deny-me'))).status, 400); // a denial without a code is raised to 400, as upstream's ToStatusErr does
  const m = parseMetrics((await c.admin.get('/metrics')).text);
  const name = 'apiserver_admission_webhook_admission_duration_seconds_count';
  assert.ok(total(m, name, { name: 'stamp.example.com', type: 'admit', operation: 'CREATE', rejected: 'false' }) >= 2);
  assert.ok(total(m, name, { name: 'check.example.com', type: 'validate', operation: 'CREATE', rejected: 'false' }) >= 1);
  assert.equal(total(m, name, { name: 'check.example.com', type: 'validate', operation: 'CREATE', rejected: 'true' }), 1);
});

test("a trace shows the mutating webhook's patches", async () => {
  const r = await c.admin.post('/api/v1/namespaces/hooked/pods', pod('patched'));
  assert.equal(r.status, 201, r.text);
  const t = (await c.admin.get(`/debug/portcullis/explain/${r.headers['audit-id']}`)).body;
  const mutating = t.admission.find((a: any) => a.plugin === 'MutatingAdmissionWebhook');
  assert.ok(mutating, JSON.stringify(t.admission));
  assert.match(mutating.patches, /stamped/);
});
