/**
 * Quantities and mutating webhooks: upstream decodes the request into the Go struct before
 * admission (the webhook is sent "500m" for "0.5") and decodes a webhook's patch result again
 * (limits patched in as "1024Mi" are stored as "1Gi").
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { reply, startWebhook, type TestWebhook } from '../../src/admission/webhook/test-support.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let c: TestCluster;
let wh: TestWebhook;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const seen: unknown[] = [];

before(async () => {
  wh = await startWebhook((review) => {
    seen.push(review.request.object?.spec?.containers?.[0]?.resources);
    const patch = [{ op: 'add', path: '/spec/containers/0/resources/limits', value: { cpu: '1000m', memory: '1024Mi' } }];
    return reply(review, { allowed: true, patchType: 'JSONPatch', patch: b64(patch) });
  });
  c = await startTestCluster();
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'qty' } })).status, 201);
  const m = await c.admin.post('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'limits' },
    webhooks: [{
      name: 'limits.example.com',
      clientConfig: { url: `${wh.url}/mutate`, caBundle: wh.caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      failurePolicy: 'Fail',
      timeoutSeconds: 2,
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'qty' } },
    }],
  });
  assert.equal(m.status, 201, m.text);
});
after(async () => {
  await c.close();
  await wh.close();
});

test('the webhook is sent canonical quantities, and the quantities it patches in are stored canonical', async () => {
  const pod = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '0.5', memory: '512Mi' } } }] },
  });
  // The configuration arrives through a watch: create until the webhook is called.
  let created;
  for (let i = 0; ; i++) {
    created = await c.admin.post('/api/v1/namespaces/qty/pods', pod(`p${i}`));
    if (seen.length > 0 || i === 50) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(seen[0], { requests: { cpu: '500m', memory: '512Mi' } });
  const want = { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } };
  assert.deepEqual(created.body.spec.containers[0].resources, want);
  const stored = await c.admin.get(`/api/v1/namespaces/qty/pods/${created.body.metadata.name}`);
  assert.deepEqual(stored.body.spec.containers[0].resources, want);
});
