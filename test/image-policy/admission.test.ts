/**
 * ImageVerification through a real API server with Debian's docker-registry: ClusterImagePolicy
 * validation, a signed image admitted and pinned to its digest, unsigned / moved tag / copied
 * signature / wrong key denied with their reason codes, warn and audit modes, a registry that is
 * down or silent denied (fail closed), NO_POLICY, templates warned about, and kubectl's message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signatureTag } from '../../src/image-policy/oci/cosign-payload.ts';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { OCI_MANIFEST } from '../../src/image-policy/registry/media-types.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { readEvents, waitForRecords } from '../audit/helpers.ts';
import { CIP, PODS, clusterReady, createPolicy, pod, pushImage, sign, warningsOf } from './admission-helpers.ts';

const skip = registrySkip();
const DEADLINE_MS = 3000;

describe('ImageVerification admission with docker-registry', { skip }, () => {
  let reg: TestRegistry;
  let c: TestCluster;
  let work: string;
  let client: RegistryClient;
  let pusher: RegistryPusher;
  let auditLog: string;
  let silent: net.Server;
  const trusted = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = (k: typeof trusted) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  const create = (body: unknown) => c.admin.post(PODS, body);
  async function denied(name: string, image: string, code: string, policy: RegExp): Promise<string> {
    const r = await create(pod(name, image));
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.reason, 'Forbidden');
    assert.match(r.body.message, new RegExp(`^pods "${name}" is forbidden: image "${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" \\(spec\\.containers\\[0\\]\\.image\\) is not allowed by `));
    assert.match(r.body.message, policy);
    assert.match(r.body.message, new RegExp(`: ${code}: `));
    return r.body.message;
  }

  before(async () => {
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'portcullis-admission-'));
    auditLog = join(work, 'audit.log');
    c = await startTestCluster({
      admission: { imageVerification: { deadlineMs: DEADLINE_MS } },
      audit: { policy: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata', resources: [{ group: '', resources: ['pods'] }] }] } as never, logPath: auditLog },
    });
    client = new RegistryClient();
    pusher = new RegistryPusher(client.transport);
    silent = net.createServer(() => undefined).listen(0, '127.0.0.1');
    await clusterReady(c.admin);
    await createPolicy(c.admin, 'cosign', { images: [{ glob: `${reg.host}/cosign/**` }], authorities: [{ name: 'release-key', key: { data: pem(trusted) } }] });
    await createPolicy(c.admin, 'wrong-key', { images: [{ glob: `${reg.host}/wrongkey/**` }], authorities: [{ key: { data: pem(other) } }] });
    await createPolicy(c.admin, 'warned', { mode: 'warn', images: [{ glob: `${reg.host}/warn/**` }], authorities: [{ key: { data: pem(trusted) } }] });
    await createPolicy(c.admin, 'audited', { mode: 'audit', images: [{ glob: `${reg.host}/audit/**` }], authorities: [{ key: { data: pem(trusted) } }] });
    await createPolicy(c.admin, 'unreachable', { images: [{ glob: '127.0.0.1:1/**' }, { glob: `127.0.0.1:${(silent.address() as net.AddressInfo).port}/**` }], authorities: [{ key: { data: pem(trusted) } }] });
  });
  after(async () => {
    client?.close();
    silent?.close();
    await c?.close();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('policies are validated: an incomplete Notation authority, bad keys and unknown modes refused', async () => {
    const post = (name: string, spec: unknown) => c.admin.post(CIP, { apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name }, spec });
    const notation = await post('notation', { images: [{ glob: '**' }], authorities: [{ notation: { trustStore: 'ca' } }] });
    assert.equal(notation.status, 422, notation.text);
    assert.match(notation.body.message, /spec\.authorities\[0\]\.notation\.trustStores: Required value/);
    const keyless = await post('keyless', { images: [{ glob: '**' }], authorities: [{ keyless: { identities: [{ issuer: 'https://accounts.example', subject: 'me' }] } }] });
    assert.equal(keyless.status, 422, keyless.text);
    assert.match(keyless.body.message, /spec\.authorities\[0\]\.keyless\.trustedRoot: Required value/);
    const badKey = await post('bad-key', { images: [{ glob: '**' }], authorities: [{ key: { data: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n' } }] });
    assert.equal(badKey.status, 422, badKey.text);
    assert.match(badKey.body.message, /spec\.authorities\[0\]\.key\.data: Invalid value: .*not a PEM public key/);
    const mode = await post('mode', { mode: 'sometimes', images: [{ glob: '**' }], authorities: [{ static: { action: 'pass' } }] });
    assert.equal(mode.status, 422, mode.text);
    assert.match(mode.body.message, /spec\.mode: Unsupported value: "sometimes"/);
    const both = await post('both', { images: [{ glob: '**' }], authorities: [{ static: { action: 'pass' }, key: { data: pem(trusted) } }] });
    assert.equal(both.status, 422, both.text);
    assert.match(both.body.message, /exactly one of key, notary, static, keyless or notation must be set/);
    const glob = await post('glob', { images: [{ glob: '.+' }], authorities: [{ static: { action: 'pass' } }] });
    assert.equal(glob.status, 422, glob.text);
    const got = await c.admin.get(`${CIP}/cosign`);
    assert.equal(got.body.spec.mode, 'enforce', 'mode defaults to enforce');
  });

  test('a signed image is admitted and pinned to the digest that was verified', async () => {
    const digest = await pushImage(work, `${reg.host}/cosign/app:v1`, 'signed');
    await sign(client, pusher, `${reg.host}/cosign/app:v1`, trusted.privateKey);
    const r = await create(pod('signed', `${reg.host}/cosign/app:v1`));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.spec.containers[0].image, `${reg.host}/cosign/app@${digest}`);
    // A pod already naming the digest is admitted as it is.
    const again = await create(pod('signed-digest', `${reg.host}/cosign/app@${digest}`));
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.spec.containers[0].image, `${reg.host}/cosign/app@${digest}`);
  });

  test('an unsigned image is denied: UNSIGNED, with the image and the policy', async () => {
    await pushImage(work, `${reg.host}/cosign/unsigned:v1`, 'unsigned');
    await denied('unsigned', `${reg.host}/cosign/unsigned:v1`, 'UNSIGNED', /ClusterImagePolicy "cosign"/);
  });

  test('a tag moved after signing is denied', async () => {
    await pushImage(work, `${reg.host}/cosign/moved:v1`, 'one');
    await sign(client, pusher, `${reg.host}/cosign/moved:v1`, trusted.privateKey);
    assert.equal((await create(pod('moved-before', `${reg.host}/cosign/moved:v1`))).status, 201);
    await pushImage(work, `${reg.host}/cosign/moved:v1`, 'two');
    await denied('moved-after', `${reg.host}/cosign/moved:v1`, 'UNSIGNED', /ClusterImagePolicy "cosign"/);
  });

  test("image A's signature copied onto image B is denied: DIGEST_MISMATCH", async () => {
    const a = await pushImage(work, `${reg.host}/cosign/copy:a`, 'image a');
    const b = await pushImage(work, `${reg.host}/cosign/copy:b`, 'image b');
    await sign(client, pusher, `${reg.host}/cosign/copy:a`, trusted.privateKey);
    const repo = parseDockerRef(`${reg.host}/cosign/copy:a`);
    const sigA = await client.getManifest({ ...repo, tag: signatureTag(a) });
    await pusher.pushManifest({ ...repo, tag: signatureTag(b) }, OCI_MANIFEST, sigA.bytes);
    const msg = await denied('copied', `${reg.host}/cosign/copy:b`, 'DIGEST_MISMATCH', /ClusterImagePolicy "cosign"/);
    assert.match(msg, new RegExp(`a trusted signature is for ${a}, not ${b}`));
    assert.equal((await create(pod('copy-a', `${reg.host}/cosign/copy:a`))).status, 201);
  });

  test('an image signed with a key the policy does not trust is denied: UNTRUSTED_KEY', async () => {
    await pushImage(work, `${reg.host}/wrongkey/app:v1`, 'wrong key');
    await sign(client, pusher, `${reg.host}/wrongkey/app:v1`, trusted.privateKey);
    await denied('wrong-key', `${reg.host}/wrongkey/app:v1`, 'UNTRUSTED_KEY', /ClusterImagePolicy "wrong-key"/);
  });

  test('a registry that refuses connections or never answers denies: REGISTRY_UNAVAILABLE (fail closed)', async () => {
    await denied('down', '127.0.0.1:1/app:v1', 'REGISTRY_UNAVAILABLE', /ClusterImagePolicy "unreachable"/);
    const port = (silent.address() as net.AddressInfo).port;
    const msg = await denied('silent', `127.0.0.1:${port}/app:v1`, 'REGISTRY_UNAVAILABLE', /ClusterImagePolicy "unreachable"/);
    assert.match(msg, new RegExp(`deadline exceeded \\(${DEADLINE_MS} ms\\)`));
    assert.equal((await c.admin.get(`${PODS}/silent`)).status, 404, 'never admitted');
  });

  test('warn mode admits with a Warning; audit mode admits with an audit annotation', async () => {
    const w = await pushImage(work, `${reg.host}/warn/app:v1`, 'warn');
    const r = await create(pod('warned', `${reg.host}/warn/app:v1`));
    assert.equal(r.status, 201, r.text);
    assert.match(warningsOf(r.headers.warning), /is not allowed by ClusterImagePolicy \\?"warned\\?": UNSIGNED: /);
    // Admitted, and still pinned to what was looked at.
    assert.equal(r.body.spec.containers[0].image, `${reg.host}/warn/app@${w}`);

    await pushImage(work, `${reg.host}/audit/app:v1`, 'audit');
    const a = await create(pod('audited', `${reg.host}/audit/app:v1`));
    assert.equal(a.status, 201, a.text);
    assert.equal(a.headers.warning, undefined);
    const id = String(a.headers['audit-id']);
    await waitForRecords(auditLog, (recs) => recs.some((x) => x.auditID === id && x.stage === 'ResponseComplete'), 'the audited create');
    const rec = readEvents(auditLog).find((x) => x.auditID === id && x.stage === 'ResponseComplete');
    assert.match(rec.annotations['image-verification.portcullis.dev/audit-violations'], /ClusterImagePolicy "audited": UNSIGNED: /);
    assert.match(rec.annotations['image-verification.portcullis.dev/pinned'], /spec\.containers\[0\]\.image: .*audit\/app:v1 -> .*audit\/app@sha256:/);
  });

  test('templates are verified and warned about, neither denied nor rewritten', async () => {
    const image = `${reg.host}/cosign/unsigned:v1`;
    const d = await c.admin.post('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'tmpl' },
      spec: { selector: { matchLabels: { app: 't' } }, template: { metadata: { labels: { app: 't' } }, spec: { containers: [{ name: 'c', image }] } } },
    });
    assert.equal(d.status, 201, d.text);
    assert.match(warningsOf(d.headers.warning), /Deployment template: image \\?"[^"]*unsigned:v1\\?" \(spec\.template\.spec\.containers\[0\]\.image\) is not allowed by ClusterImagePolicy \\?"cosign\\?": UNSIGNED/);
    assert.equal(d.body.spec.template.spec.containers[0].image, image, 'templates are not rewritten');
  });

  test('an image no policy matches: NO_POLICY by default, admitted in kube-system and where the namespace label exempts it', async () => {
    const r = await create(pod('nomatch', 'busybox:1.36'));
    assert.equal(r.status, 403, r.text);
    assert.match(r.body.message, /image "busybox:1\.36" \(spec\.containers\[0\]\.image\): NO_POLICY: no image policy matches it/);
    for (let i = 0; i < 200 && (await c.admin.get('/api/v1/namespaces/kube-system/serviceaccounts/default')).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
    const system = await c.admin.post('/api/v1/namespaces/kube-system/pods', pod('nomatch', 'busybox:1.36'));
    assert.equal(system.status, 201, `kube-system is exempt by default: ${system.text}`);
    for (const [name, label] of [['exempt', 'allow'], ['lenient', 'warn']] as const) {
      const ns = await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'policy.portcullis.dev/no-match': label } } });
      assert.equal(ns.status, 201, ns.text);
      for (let i = 0; i < 200 && (await c.admin.get(`/api/v1/namespaces/${name}/serviceaccounts/default`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
      const p = await c.admin.post(`/api/v1/namespaces/${name}/pods`, pod('nomatch', 'busybox:1.36'));
      assert.equal(p.status, 201, p.text);
      if (label === 'warn') assert.match(warningsOf(p.headers.warning), /NO_POLICY: no image policy matches it/);
      else assert.equal(warningsOf(p.headers.warning), '');
    }
  });

  test('kubectl run with an unsigned image prints the reason', { skip: kubectlSkip(33) }, async () => {
    const r = await runKubectl(33, c.cp.kubeconfigPath, ['run', 'kubectl-unsigned', `--image=${reg.host}/cosign/unsigned:v1`, '--restart=Never']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Forbidden\): pods "kubectl-unsigned" is forbidden: image ".*\/cosign\/unsigned:v1" \(spec\.containers\[0\]\.image\) is not allowed by ClusterImagePolicy "cosign": UNSIGNED: /);
    const list = await runKubectl(33, c.cp.kubeconfigPath, ['get', 'cip']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+MODE\s+AGE$/m);
    assert.match(list.stdout, /^warned\s+warn\s+\S+$/m);
  });
});
