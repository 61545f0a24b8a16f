/**
 * Notation (Notary Project v2) signatures at admission, through a real API server and Debian's
 * docker-registry: images signed with `portcullis image sign --notation` (a JWS envelope attached
 * as an OCI 1.1 referrer, read through the sha256-<hex> tag fallback this registry needs) under a
 * test code signing PKI. Signed admitted and pinned; a signature under an untrusted CA, by an
 * identity the trust policy does not list, with a tampered payload, copied from another image,
 * and no signature at all denied with their reason codes; the audit level admits with a warning.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runImage } from '../../src/cli/image.ts';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { attachReferrer } from '../../src/image-policy/registry/attach-referrer.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import { JWS_MEDIA_TYPE, NOTATION_ARTIFACT_TYPE } from '../../src/image-policy/verifiers/notation/envelope.ts';
import { notationEnvelope } from '../../src/image-policy/verifiers/notation/sign.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { CIP, PODS, clusterReady, createPolicy, pod, pushImage, warningsOf } from './admission-helpers.ts';
import { makePki } from './notation-fixtures.ts';

const skip = registrySkip();

describe('ImageVerification with Notation signatures', { skip }, () => {
  let reg: TestRegistry;
  let c: TestCluster;
  let work: string;
  let client: RegistryClient;
  let pusher: RegistryPusher;
  const acme = makePki('acme', { C: 'US', ST: 'WA', O: 'acme', OU: 'release', CN: 'ci' });
  const intern = makePki('acme', { C: 'US', ST: 'WA', O: 'acme', OU: 'interns', CN: 'laptop' });
  const stranger = makePki('stranger', { C: 'US', ST: 'WA', O: 'acme', OU: 'release', CN: 'ci' });

  /** Signs REF with the CLI, as a user would, with the PKI's leaf key and chain. */
  async function cliSign(ref: string, pki: ReturnType<typeof makePki>): Promise<string> {
    const dir = mkdtempSync(join(work, 'keys-'));
    writeFileSync(join(dir, 'leaf.key'), pki.leaf.key.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'chain.pem'), [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join(''));
    let out = '';
    const code = await runImage(['sign', ref, '--notation', '--key', join(dir, 'leaf.key'), '--cert', join(dir, 'chain.pem')], (s) => (out += s));
    assert.equal(code, 0, out);
    assert.match(out, /pushed Notation signature .*@sha256:[0-9a-f]{64}/);
    return out;
  }

  async function denied(name: string, image: string, code: string, msg: RegExp): Promise<void> {
    const r = await c.admin.post(PODS, pod(name, image));
    assert.equal(r.status, 403, r.text);
    assert.match(r.body.message, new RegExp(`is not allowed by ClusterImagePolicy "notation": ${code}: `), r.body.message);
    assert.match(r.body.message, msg);
  }

  before(async () => {
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'portcullis-notation-'));
    c = await startTestCluster({ admission: { imageVerification: { deadlineMs: 5000 } } });
    client = new RegistryClient();
    pusher = new RegistryPusher(client.transport);
    await clusterReady(c.admin);
    const base = { trustStores: ['ca:acme'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme, OU=release'] };
    await createPolicy(c.admin, 'notation', {
      images: [{ glob: `${reg.host}/notation/**` }],
      authorities: [{
        name: 'acme-release',
        notation: {
          trustStores: [{ name: 'acme', type: 'ca', certificates: acme.root.pem + intern.root.pem }],
          trustPolicies: [
            { name: 'release', registryScopes: ['*'], signatureVerification: { level: 'strict' }, ...base },
            // An override map goes through the CRD schema as a map of strings.
            { name: 'adopting', registryScopes: [`${reg.host}/notation/audited`], signatureVerification: { level: 'audit', override: { revocation: 'skip' } }, ...base },
          ],
        },
      }],
    });
  });
  after(async () => {
    client?.close();
    await c?.close();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('a policy whose Notation trust policy is invalid is refused with the field', async () => {
    const r = await c.admin.post(CIP, {
      apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name: 'bad-notation' },
      spec: { images: [{ glob: '**' }], authorities: [{ notation: { trustStores: [{ name: 'acme', certificates: acme.root.pem }], trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: ['x509.subject: O=acme'] }] } }] },
    });
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.message, /spec\.authorities\[0\]\.notation\.trustPolicies\[0\]\.trustedIdentities\[0\]: Invalid value: .*must contain C, ST and O/);
  });

  test('a signed image is admitted and pinned to the verified digest', async () => {
    const ref = `${reg.host}/notation/app:v1`;
    const digest = await pushImage(work, ref, 'notation signed');
    await cliSign(ref, acme);
    const r = await c.admin.post(PODS, pod('notation-signed', ref));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.spec.containers[0].image, `${reg.host}/notation/app@${digest}`);
  });

  test('an untrusted CA, an untrusted identity and no signature are denied', async () => {
    const foreign = `${reg.host}/notation/foreign:v1`;
    await pushImage(work, foreign, 'stranger signed');
    await cliSign(foreign, stranger);
    await denied('notation-foreign', foreign, 'UNTRUSTED_KEY', /leads to no certificate of the trust stores ca:acme of trust policy "release"/);

    const interned = `${reg.host}/notation/intern:v1`;
    await pushImage(work, interned, 'intern signed');
    await cliSign(interned, intern);
    await denied('notation-intern', interned, 'UNTRUSTED_KEY', /subject "C=US, ST=WA, O=acme, OU=interns, CN=laptop" matches no trusted identity of trust policy "release"/);

    const unsigned = `${reg.host}/notation/unsigned:v1`;
    await pushImage(work, unsigned, 'not signed');
    await denied('notation-unsigned', unsigned, 'UNSIGNED', /no Notation signature refers to the image/);
  });

  test('a tampered payload and a signature copied from another image are denied', async () => {
    const a = `${reg.host}/notation/a:v1`;
    const b = `${reg.host}/notation/b:v1`;
    await pushImage(work, a, 'image a');
    await pushImage(work, b, 'image b');
    const ma = await client.getManifest(parseDockerRef(a));
    const mb = await client.getManifest(parseDockerRef(b));
    const envA = await notationEnvelope(acme.leaf.key, ma.descriptor, { chain: acme.chain, now: new Date() });
    // A's valid signature attached to B: about another digest.
    await attachReferrer(client, pusher, parseDockerRef(b), mb.descriptor, { artifactType: NOTATION_ARTIFACT_TYPE, layerMediaType: JWS_MEDIA_TYPE, bytes: envA });
    await denied('notation-copied', b, 'SUBJECT_MISMATCH', new RegExp(`the signature is of ${ma.descriptor.digest}, not ${mb.descriptor.digest}`));

    // A's signature with its payload rewritten to name C: the signature no longer verifies.
    const cRef = `${reg.host}/notation/c:v1`;
    await pushImage(work, cRef, 'image c');
    const mc = await client.getManifest(parseDockerRef(cRef));
    const jws = JSON.parse(envA.toString());
    jws.payload = Buffer.from(JSON.stringify({ targetArtifact: mc.descriptor })).toString('base64url');
    await attachReferrer(client, pusher, parseDockerRef(cRef), mc.descriptor, { artifactType: NOTATION_ARTIFACT_TYPE, layerMediaType: JWS_MEDIA_TYPE, bytes: Buffer.from(JSON.stringify(jws)) });
    await denied('notation-tampered', cRef, 'SIGNATURE_INVALID', /does not verify under the signing certificate's key/);
  });

  test('the audit level admits an untrusted signer with a warning naming what it logged', async () => {
    const ref = `${reg.host}/notation/audited:v1`;
    await pushImage(work, ref, 'audited');
    await cliSign(ref, stranger);
    const r = await c.admin.post(PODS, pod('notation-audited', ref));
    assert.equal(r.status, 201, r.text);
    const stored = await c.admin.get(`${CIP}/notation`);
    assert.deepEqual(stored.body.spec.authorities[0].notation.trustPolicies[1].signatureVerification, { level: 'audit', override: { revocation: 'skip' } }, 'the override map is kept, not pruned');
    assert.match(warningsOf(r.headers.warning), /is allowed by ClusterImagePolicy \\?"notation\\?" \(authority acme-release\), which logs: signature sha256:[0-9a-f]{64}: authenticity: the certificate chain/);
  });

  test('portcullis image verify --notation: the checks with notation\'s trustpolicy.json and a trust store; an untrusted signer fails with its code', async () => {
    const dir = mkdtempSync(join(work, 'verify-'));
    writeFileSync(join(dir, 'root.pem'), acme.root.pem);
    const trustPolicy = { version: '1.0', trustPolicies: [{ name: 'release', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme, OU=release'] }] };
    writeFileSync(join(dir, 'trustpolicy.json'), JSON.stringify(trustPolicy));
    const verify = async (ref: string, policyFile = join(dir, 'trustpolicy.json')) => {
      let out = '';
      await runImage(['verify', ref, '--notation', '--trust-policy', policyFile, '--trust-store', `ca:acme=${join(dir, 'root.pem')}`], (s) => (out += s));
      return out;
    };
    const ok = await verify(`${reg.host}/notation/app:v1`);
    assert.match(ok, /^ok: .*notation\/app:v1 is sha256:[0-9a-f]{64}\nok: 1 Notation signature refers to sha256:.*\nok: signature sha256:[0-9a-f]{64} verifies under trust policy "release" \(strict\), signed by C=US, ST=WA, O=acme, OU=release, CN=ci\nverified /);
    await assert.rejects(verify(`${reg.host}/notation/foreign:v1`), /^Error: UNTRUSTED_KEY: .*leads to no certificate of the trust stores ca:acme/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...trustPolicy, trustPolicies: [{ ...trustPolicy.trustPolicies[0], trustStores: ['ca:nope'] }] }));
    await assert.rejects(verify(`${reg.host}/notation/app:v1`, join(dir, 'bad.json')), /trust policy is invalid: trustPolicies\[0\]\.trustStores\[0\]: Invalid value: "ca:nope": names no trust store/);
  });

  test('a trust store kept in a ConfigMap: read at each check, a changed ConfigMap is a new verdict', async () => {
    const cmPath = '/api/v1/namespaces/default/configmaps';
    assert.equal((await c.admin.post(cmPath, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notation-roots' }, data: { 'ca.pem': acme.root.pem } })).status, 201);
    await createPolicy(c.admin, 'notation-cm', {
      images: [{ glob: `${reg.host}/notationcm/**` }],
      authorities: [{ notation: {
        trustStores: [{ name: 'acme', configMapRef: { namespace: 'default', name: 'notation-roots', key: 'ca.pem' } }],
        trustPolicies: [{ name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: ['*'] }],
      } }],
    });
    const ref = `${reg.host}/notationcm/app:v1`;
    await pushImage(work, ref, 'notation configmap');
    await cliSign(ref, acme);
    let r = await c.admin.post(PODS, pod('notation-cm', ref));
    for (let i = 0; i < 100 && r.status === 403 && /NO_POLICY/.test(r.body.message); i++) {
      await new Promise((res) => setTimeout(res, 25)); // the plugin's watch has not delivered the policy yet
      r = await c.admin.post(PODS, pod('notation-cm', ref));
    }
    assert.equal(r.status, 201, r.text);
    // The store now holds another CA: the cached allow does not apply to the new ConfigMap version.
    const put = await c.admin.put(`${cmPath}/notation-roots`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notation-roots' }, data: { 'ca.pem': stranger.root.pem } });
    assert.equal(put.status, 200, put.text);
    const denied = await c.admin.post(PODS, pod('notation-cm-2', ref));
    assert.equal(denied.status, 403, denied.text);
    assert.match(denied.body.message, /ClusterImagePolicy "notation-cm": UNTRUSTED_KEY: .*leads to no certificate of the trust stores ca:acme/);
    const gone = await c.admin.delete(`${cmPath}/notation-roots`);
    assert.equal(gone.status, 200, gone.text);
    const missing = await c.admin.post(PODS, pod('notation-cm-3', ref));
    assert.equal(missing.status, 403, missing.text);
    assert.match(missing.body.message, /UNTRUSTED_KEY: trust store ca:acme: ConfigMap default\/notation-roots does not exist/);
  });
});
