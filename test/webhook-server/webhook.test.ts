/**
 * `portcullis webhook` in front of a real Portcullis API server, as an existing cluster would use
 * it: ImagePolicyWebhook (configured by an AdmissionConfiguration, with the API server's client
 * certificate, the webhook requiring it with --client-ca-file) admits a signed image and denies
 * an unsigned one with the reason; a ValidatingWebhookConfiguration sends pods to /validate, where
 * a ValidatingAdmissionPolicy from a file denies; a MutatingWebhookConfiguration sends them to
 * /mutate, which pins the image to its verified digest. Images live in Debian's docker-registry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:https';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWebhook } from '../../src/cli/webhook.ts';
import { loadImagePolicyWebhookConfig } from '../../src/image-policy/webhook/config.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { PODS, pod, pushImage, sign } from '../image-policy/admission-helpers.ts';

const skip = registrySkip();
const now = new Date();
const ca = createCA({ commonName: 'webhook-ca', now, validityDays: 1 });
const serving = issueCert(ca, { commonName: 'portcullis-webhook', usage: 'server', ipAddresses: ['127.0.0.1'], now, validityDays: 1 });
const apiserverCert = issueCert(ca, { commonName: 'portcullis-apiserver', usage: 'client', now, validityDays: 1 });
const b64 = (s: string) => Buffer.from(s).toString('base64');

interface Running {
  url: string;
  stop: () => Promise<number>;
}

/** Starts `portcullis webhook` in this process on a free port; its URL once it listens. */
async function startWebhook(args: string[]): Promise<Running> {
  let stopNow!: () => void;
  const stopSignal = new Promise<void>((r) => (stopNow = r));
  let printed = '';
  let listening!: (url: string) => void;
  const url = new Promise<string>((r) => (listening = r));
  const done = runWebhook([...args, '--port', '0', '--bind-address', '127.0.0.1', '--log-level', 'silent'], (s) => {
    printed += s;
    const m = /serving on (https:\/\/[^ ]+)/.exec(printed);
    if (m) listening(m[1]!);
  }, stopSignal);
  const first = await Promise.race([url, done.then((code) => Promise.reject(new Error(`portcullis webhook exited ${code}: ${printed}`)))]);
  return { url: first, stop: async () => (stopNow(), done) };
}

/** A POST to the webhook with node:https; the status and text, or the connection's error. */
function post(url: string, body: string, opts: { cert?: boolean; contentType?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      ca: ca.certPem,
      ...(opts.cert ? { cert: apiserverCert.certPem, key: apiserverCert.keyPem } : {}),
      headers: { 'content-type': opts.contentType ?? 'application/json' },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitForDefaultServiceAccount(c: TestCluster): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await c.admin.get('/api/v1/namespaces/default/serviceaccounts/default')).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('no default ServiceAccount');
}

describe('portcullis webhook serving an existing cluster', { skip }, () => {
  let reg: TestRegistry;
  let work: string;
  let client: RegistryClient;
  let imageHook: Running;
  let admissionHook: Running;
  let c: TestCluster;
  let signed: string;
  let signedDigest: string;
  let unsigned: string;
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  before(async () => {
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'portcullis-webhook-'));
    client = new RegistryClient();
    signed = `${reg.host}/team/app:1`;
    unsigned = `${reg.host}/team/other:1`;
    signedDigest = await pushImage(work, signed, 'signed');
    await pushImage(work, unsigned, 'unsigned');
    await sign(client, new RegistryPusher(client.transport), signed, key.privateKey);

    const policies = join(work, 'policies');
    mkdirSync(policies);
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(join(policies, 'images.yaml'), JSON.stringify({
      apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name: 'team-signed' },
      spec: { images: [{ glob: `${reg.host}/team/**` }], authorities: [{ name: 'release-key', key: { data: pem } }] },
    }));
    writeFileSync(join(policies, 'vap.yaml'), `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-privileged-label}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "!has(object.metadata.labels) || !('privileged' in object.metadata.labels)"
    message: pods may not carry the privileged label
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-privileged-label-binding}
spec: {policyName: no-privileged-label, validationActions: [Deny]}
`);
    const tls = join(work, 'tls');
    mkdirSync(tls);
    for (const [f, text] of [['tls.crt', serving.certPem], ['tls.key', serving.keyPem], ['ca.crt', ca.certPem]] as const) writeFileSync(join(tls, f), text);
    const common = ['--tls-cert-file', join(tls, 'tls.crt'), '--tls-private-key-file', join(tls, 'tls.key'), '--policies', policies];
    // The ImagePolicyWebhook backend requires the API server's client certificate.
    imageHook = await startWebhook([...common, '--client-ca-file', join(tls, 'ca.crt')]);
    admissionHook = await startWebhook(common);

    const kubeconfig = join(work, 'imagepolicy.kubeconfig');
    writeFileSync(kubeconfig, `clusters: [{name: w, cluster: {server: "${imageHook.url}/imagereview", certificate-authority-data: ${b64(ca.certPem)}}}]
users: [{name: apiserver, user: {client-certificate-data: ${b64(apiserverCert.certPem)}, client-key-data: ${b64(apiserverCert.keyPem)}}}]
contexts: [{name: c, context: {cluster: w, user: apiserver}}]
current-context: c
`);
    const admissionConfig = join(work, 'admission.yaml');
    writeFileSync(admissionConfig, `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ImagePolicyWebhook
  configuration:
    imagePolicy: {kubeConfigFile: ${kubeconfig}, allowTTL: 60, denyTTL: 10, retryBackoff: 1, defaultAllow: false}
`);
    c = await startTestCluster({ admission: { enable: ['ImagePolicyWebhook'], imagePolicyWebhook: loadImagePolicyWebhookConfig(admissionConfig)! } });
    await waitForDefaultServiceAccount(c);
  });

  /** A Validating/MutatingWebhookConfiguration sending pod creates to the webhook at `url`. */
  function registerWebhook(resource: string, name: string, url: string) {
    return c.admin.post(`/apis/admissionregistration.k8s.io/v1/${resource}`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: resource === 'mutatingwebhookconfigurations' ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration',
      metadata: { name: 'portcullis' },
      webhooks: [{
        name, clientConfig: { url, caBundle: b64(ca.certPem) },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Fail', timeoutSeconds: 10,
      }],
    });
  }

  after(async () => {
    await c?.close();
    await imageHook?.stop();
    await admissionHook?.stop();
    client?.close();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('ImagePolicyWebhook: a signed image is admitted, an unsigned one denied with the reason', async () => {
    const ok = await c.admin.post(PODS, pod('signed', signed));
    assert.equal(ok.status, 201, ok.text);
    const denied = await c.admin.post(PODS, pod('unsigned', unsigned));
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.body.reason, 'Forbidden');
    assert.match(denied.body.message, /^pods "unsigned" is forbidden: image policy webhook backend denied one or more images: image ".*\/team\/other:1" \(spec\.containers\[0\]\.image\) is not allowed by ClusterImagePolicy "team-signed": UNSIGNED: /);
  });

  test('an image no policy matches is denied by default (NO_POLICY)', async () => {
    const r = await c.admin.post(PODS, pod('elsewhere', `${reg.host}/elsewhere/app:1`));
    assert.equal(r.status, 403, r.text);
    assert.match(r.body.message, /NO_POLICY: no image policy matches it/);
  });

  test('--client-ca-file: a caller without a client certificate is refused; with one, a bad review is a 400', async () => {
    await assert.rejects(post(`${imageHook.url}/imagereview`, '{}'));
    const bad = await post(`${imageHook.url}/imagereview`, '{"kind":"Pod","apiVersion":"v1"}', { cert: true });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Unsupported group version kind: \/v1, Kind=Pod/);
    const notJson = await post(`${imageHook.url}/imagereview`, 'x', { cert: true, contentType: 'text/plain' });
    assert.equal(notJson.status, 400);
    assert.match(notJson.text, /contentType=text\/plain, expected application\/json/);
    const review = await post(`${admissionHook.url}/validate`, JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }));
    assert.equal(review.status, 400);
    assert.match(review.text, /request\.uid is required/);
  });

  test('a ValidatingWebhookConfiguration: a ValidatingAdmissionPolicy from a file denies through the webhook', async () => {
    const vwc = await registerWebhook('validatingwebhookconfigurations', 'validate.portcullis.dev', `${admissionHook.url}/validate`);
    assert.equal(vwc.status, 201, vwc.text);
    const labelled = { ...pod('privileged', signed), metadata: { name: 'privileged', labels: { privileged: 'yes' } } };
    let r = await c.admin.post(PODS, labelled);
    for (let i = 0; i < 100 && r.status === 201; i++) {
      // The configuration reaches the admission chain through a watch: retry until it does.
      await c.admin.delete(`${PODS}/privileged`);
      await new Promise((res) => setTimeout(res, 50));
      r = await c.admin.post(PODS, labelled);
    }
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.message, `admission webhook "validate.portcullis.dev" denied the request: ValidatingAdmissionPolicy 'no-privileged-label' with binding 'no-privileged-label-binding' denied request: pods may not carry the privileged label`);
    const fine = await c.admin.post(PODS, pod('plain', signed));
    assert.equal(fine.status, 201, fine.text);
  });

  test('a MutatingWebhookConfiguration: /mutate pins the image to the verified digest', async () => {
    const mwc = await registerWebhook('mutatingwebhookconfigurations', 'pin.portcullis.dev', `${admissionHook.url}/mutate`);
    assert.equal(mwc.status, 201, mwc.text);
    const pinned = `${reg.host}/team/app@${signedDigest}`;
    let image = '';
    for (let i = 0; i < 100 && image !== pinned; i++) {
      const name = `pinned-${i}`;
      const r = await c.admin.post(PODS, pod(name, signed));
      assert.equal(r.status, 201, r.text);
      image = r.body.spec.containers[0].image;
      if (image !== pinned) await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(image, pinned);
  });

  test('--kubeconfig: a key Secret and a namespace the files lack are read from the cluster', async () => {
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const secret = await c.admin.post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'release-key' }, data: { 'cosign.pub': b64(pem) } });
    assert.equal(secret.status, 201, secret.text);
    const ns = await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'exempt', labels: { 'policy.portcullis.dev/no-match': 'allow' } } });
    assert.equal(ns.status, 201, ns.text);
    const dir = mkdtempSync(join(work, 'keyed-'));
    writeFileSync(join(dir, 'keyed.yaml'), JSON.stringify({
      apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name: 'keyed' },
      spec: { images: [{ glob: `${reg.host}/team/**` }], authorities: [{ key: { secretRef: { namespace: 'default', name: 'release-key' } } }] },
    }));
    const tls = join(work, 'tls');
    const hook = await startWebhook(['--tls-cert-file', join(tls, 'tls.crt'), '--tls-private-key-file', join(tls, 'tls.key'), '--policies', dir, '--kubeconfig', c.cp.kubeconfigPath]);
    try {
      const review = async (image: string, namespace: string) => JSON.parse((await post(`${hook.url}/imagereview`, JSON.stringify({ apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec: { containers: [{ image }], namespace } }))).text).status;
      assert.deepEqual((await review(signed, 'default')).allowed, true);
      const denied = await review(unsigned, 'default');
      assert.equal(denied.allowed, false);
      assert.match(denied.reason, /ClusterImagePolicy "keyed": UNSIGNED: /);
      assert.match((await review(`${reg.host}/elsewhere/app:1`, 'default')).reason, /NO_POLICY/);
      assert.equal((await review(`${reg.host}/elsewhere/app:1`, 'exempt')).allowed, true);
    } finally {
      await hook.stop();
    }
  });
});
