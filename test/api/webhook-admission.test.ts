/**
 * Admission webhooks through the API server: configurations created with the API, a local HTTPS
 * webhook, and what the client sees (the object, the Status, Warning headers), and what is stored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { reply, startWebhook, type TestWebhook } from '../../src/admission/webhook/test-support.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import type { Response } from '../helpers/client.ts';

let c: TestCluster;
let wh: TestWebhook;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

before(async () => {
  wh = await startWebhook((review, path) => {
    const name: string = review.request.object?.metadata?.name ?? '';
    if (path.startsWith('/mutate')) return reply(review, { allowed: true, patchType: 'JSONPatch', patch: b64([{ op: 'add', path: '/metadata/labels', value: { stamped: 'yes' } }]) });
    if (name.startsWith('deny')) return reply(review, { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'pods named deny-* are refused' }, warnings: ['the webhook looked at this pod'] });
    return reply(review, { allowed: true, warnings: ['the webhook looked at this pod'] });
  });
  c = await startTestCluster();
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hooks' } })).status, 201);
  const rules = [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }];
  const common = { rules, sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Fail', timeoutSeconds: 2, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'hooks' } } };
  const m = await c.admin.post('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'stamp' },
    webhooks: [{ name: 'stamp.example.com', clientConfig: { url: `${wh.url}/mutate`, caBundle: wh.caBundle }, ...common }],
  });
  assert.equal(m.status, 201, m.text);
  const v = await c.admin.post('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'check' },
    webhooks: [{ name: 'check.example.com', clientConfig: { url: `${wh.url}/validate`, caBundle: wh.caBundle }, ...common }],
  });
  assert.equal(v.status, 201, v.text);
});
after(async () => {
  await c.close();
  await wh.close();
});

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

/** Creates until the webhooks are in force (their configuration arrives through a watch). */
async function createOnceHooked(name: string): Promise<Response> {
  for (let i = 0; ; i++) {
    const before = wh.seen.length;
    const r = await c.admin.post('/api/v1/namespaces/hooks/pods', pod(name));
    if (wh.seen.length > before || i === 50) return r;
    if (r.status === 201) await c.admin.delete(`/api/v1/namespaces/hooks/pods/${name}?gracePeriodSeconds=0`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

function warnings(r: Response): string {
  const w = r.headers['warning'];
  return Array.isArray(w) ? w.join('\n') : (w ?? '');
}

test('an admitted pod carries the mutating webhook\'s patch, and the validating webhook\'s warning reaches the client', async () => {
  const r = await createOnceHooked('fine');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.metadata.labels.stamped, 'yes');
  assert.match(warnings(r), /^299 - "the webhook looked at this pod"$/);
  const stored = await c.admin.get('/api/v1/namespaces/hooks/pods/fine');
  assert.equal(stored.body.metadata.labels.stamped, 'yes');
});

test('a denial is a 403 with the upstream message, keeps the webhook\'s warning, and stores nothing', async () => {
  const r = await createOnceHooked('deny-me');
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.reason, 'Forbidden');
  assert.equal(r.body.message, 'admission webhook "check.example.com" denied the request: pods named deny-* are refused');
  assert.match(warnings(r), /the webhook looked at this pod/);
  assert.equal((await c.admin.get('/api/v1/namespaces/hooks/pods/deny-me')).status, 404);
});

test('an unreachable webhook with failurePolicy Fail denies with 500 and stores nothing', async () => {
  const v = await c.admin.get('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/check');
  const cfg = v.body;
  cfg.webhooks[0].clientConfig.url = 'https://127.0.0.1:1/validate';
  assert.equal((await c.admin.put('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/check', cfg)).status, 200);
  let r: Response | undefined;
  let name = '';
  for (let i = 0; i < 50; i++) {
    name = `down-${i}`;
    r = await c.admin.post('/api/v1/namespaces/hooks/pods', pod(name));
    if (r.status !== 201) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(r!.status, 500, r!.text);
  assert.equal(r!.body.reason, 'InternalError');
  assert.match(r!.body.message, /^Internal error occurred: failed calling webhook "check\.example\.com": failed to call webhook: Post "https:\/\/127\.0\.0\.1:1\/validate\?timeout=2s": dial tcp 127\.0\.0\.1:1: connect: connection refused/);
  assert.equal((await c.admin.get(`/api/v1/namespaces/hooks/pods/${name}`)).status, 404);
});
