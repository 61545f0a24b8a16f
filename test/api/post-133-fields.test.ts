/**
 * Fields upstream added after Kubernetes 1.33 (scripts/k8s-133-omissions.json) are unknown fields
 * here, as kube-apiserver 1.33 treats them: 400 under fieldValidation=Strict (kubectl's default),
 * a warning and dropped under Warn (the API's default), dropped silently under Ignore. And
 * `kubectl explain` does not show them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

const PODS = '/api/v1/namespaces/default/pods';

function pod(name: string): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      hostnameOverride: 'other',
      containers: [
        {
          name: 'c',
          image: 'busybox',
          restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }],
          env: [{ name: 'A', valueFrom: { fileKeyRef: { volumeName: 'v', path: 'f', key: 'k' } } }],
        },
      ],
      volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'cm' }, podCertificate: { signerName: 'example.com/s', keyType: 'ED25519', credentialBundlePath: 'b' } }] } }],
    },
  };
}

/** In the order the body has them, as upstream's strict decoder reports them. */
const UNKNOWN = [
  'spec.hostnameOverride',
  'spec.containers[0].restartPolicyRules',
  'spec.containers[0].env[0].valueFrom.fileKeyRef',
  'spec.volumes[0].projected.sources[0].podCertificate',
];

test('Strict: 400 naming the post-1.33 fields as unknown', async () => {
  const r = await c.admin.req('POST', `${PODS}?fieldValidation=Strict`, { body: pod('strict') });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.reason, 'BadRequest');
  assert.equal(r.body.message, `strict decoding error: ${UNKNOWN.map((f) => `unknown field "${f}"`).join(', ')}`);
});

test('Warn: one warning a field, and none of them reaches validation or storage', async () => {
  // fileKeyRef dropped leaves valueFrom empty: 1.33's validation message, which knows four sources.
  const r = await c.admin.req('POST', `${PODS}?fieldValidation=Warn`, { body: pod('invalid') });
  assert.equal(r.status, 422, r.text);
  const warning = String(r.headers.warning);
  for (const f of UNKNOWN) assert.ok(warning.includes(`unknown field \\"${f}\\"`), `${f} in ${warning}`);
  assert.equal(r.body.details.causes[0].field, 'spec.containers[0].env[0].valueFrom');
  assert.match(r.body.message, /must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`$/);

  const body = pod('warned');
  delete body.spec.containers[0].env;
  const ok = await c.admin.req('POST', `${PODS}?fieldValidation=Warn`, { body });
  assert.equal(ok.status, 201, ok.text);
  assert.match(String(ok.headers.warning), /unknown field \\"spec.hostnameOverride\\"/);
  const got = (await c.admin.get(`${PODS}/warned`)).body;
  assert.equal(got.spec.hostnameOverride, undefined);
  assert.equal(got.spec.containers[0].restartPolicyRules, undefined);
  assert.deepEqual(got.spec.volumes[0].projected.sources, [{ configMap: { name: 'cm' } }]);
});

test('pod status: post-1.33 status fields are unknown in a status write', async () => {
  const r = await c.admin.req('PUT', `${PODS}/warned/status?fieldValidation=Strict`, {
    body: { ...(await c.admin.get(`${PODS}/warned`)).body, status: { phase: 'Pending', resources: { requests: { cpu: '1' } }, allocatedResources: { cpu: '1' } } },
  });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.message, 'strict decoding error: unknown field "status.resources", unknown field "status.allocatedResources"');
});

test('kubectl 1.33 explain pod.spec does not show hostnameOverride', { skip: kubectlSkip(33) }, async () => {
  const e = await runKubectl(33, c.cp.kubeconfigPath, ['explain', 'pod.spec']);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /\n  hostname\s+<string>/);
  assert.doesNotMatch(e.stdout, /hostnameOverride|schedulingGroup|evictionResponders/);
  const c0 = await runKubectl(33, c.cp.kubeconfigPath, ['explain', 'pod.spec.containers']);
  assert.equal(c0.code, 0, c0.stderr);
  assert.match(c0.stdout, /\n  restartPolicy\s+<string>/);
  assert.doesNotMatch(c0.stdout, /restartPolicyRules/);
  const missing = await runKubectl(33, c.cp.kubeconfigPath, ['explain', 'pod.spec.hostnameOverride']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /field "hostnameOverride" does not exist/);
});
