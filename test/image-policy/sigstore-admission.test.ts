/**
 * Keyless Sigstore verification at admission, through a real API server and Debian's
 * docker-registry: bundles attached to images as OCI 1.1 referrers (read through the
 * sha256-<hex> tag fallback, which this registry needs), signed by a private Sigstore instance
 * (test CA + log key, sigstore-fixtures.ts) whose trusted root the policy names. Signed admitted
 * and pinned; wrong identity, wrong issuer, another instance's CA, unsigned and a bundle copied
 * from another image denied; in-toto attestations with a CEL condition; the trusted root read
 * from a ConfigMap.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { CIP, PODS, clusterReady, createPolicy, pod, pushImage } from './admission-helpers.ts';
import { TestSigstore, attachBundle, keyBundle, type Identity } from './sigstore-fixtures.ts';

const skip = registrySkip();
const WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const GITHUB = 'https://token.actions.githubusercontent.com';
const SLSA = 'https://slsa.dev/provenance/v1';

describe('ImageVerification with Sigstore keyless bundles', { skip }, () => {
  let reg: TestRegistry;
  let c: TestCluster;
  let work: string;
  let client: RegistryClient;
  let pusher: RegistryPusher;
  const sigstore = new TestSigstore('portcullis');
  const stranger = new TestSigstore('stranger');
  const release: Identity = { subject: WORKFLOW, issuer: GITHUB };
  const cosignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  /** Pushes an image; signs its manifest bytes (and attaches more bundles) as `who` when given. */
  async function image(repo: string, text: string, sign?: { who: Identity; by?: TestSigstore }): Promise<{ ref: string; digest: string; subject: { mediaType: string; digest: string; size: number } }> {
    const ref = `${reg.host}/${repo}:v1`;
    const digest = await pushImage(work, ref, text);
    const m = await client.getManifest(parseDockerRef(ref));
    const subject = { mediaType: m.descriptor.mediaType, digest, size: m.bytes.length };
    if (sign) await attachBundle(client, pusher, parseDockerRef(ref), subject, (sign.by ?? sigstore).signArtifact(sign.who, m.bytes));
    return { ref, digest, subject };
  }

  async function denied(name: string, img: string, code: string): Promise<string> {
    const r = await c.admin.post(PODS, pod(name, img));
    assert.equal(r.status, 403, r.text);
    assert.match(r.body.message, new RegExp(`: ${code}: `), r.body.message);
    return r.body.message;
  }

  before(async () => {
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'portcullis-sigstore-'));
    c = await startTestCluster({ admission: { imageVerification: { deadlineMs: 5000 } } });
    client = new RegistryClient();
    pusher = new RegistryPusher(client.transport);
    await clusterReady(c.admin);
    const keyless = (identities: unknown[]) => ({ trustedRoot: { data: sigstore.trustedRootJson }, identities });
    await createPolicy(c.admin, 'keyless', { images: [{ glob: `${reg.host}/keyless/**` }], authorities: [{ name: 'release', keyless: keyless([{ issuer: GITHUB, subjectRegExp: '^https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/heads/main$' }]) }] });
    await createPolicy(c.admin, 'other-subject', { images: [{ glob: `${reg.host}/othersubject/**` }], authorities: [{ keyless: keyless([{ issuer: GITHUB, subject: 'https://github.com/acme/other/.github/workflows/release.yml@refs/heads/main' }]) }] });
    await createPolicy(c.admin, 'other-issuer', { images: [{ glob: `${reg.host}/otherissuer/**` }], authorities: [{ keyless: keyless([{ issuer: 'https://accounts.google.com', subjectRegExp: '.*' }]) }] });
    await createPolicy(c.admin, 'provenance', {
      images: [{ glob: `${reg.host}/attested/**` }],
      authorities: [{ keyless: keyless([{ issuer: GITHUB, subject: WORKFLOW }]), attestations: [{ name: 'slsa', predicateType: SLSA, condition: "predicate.buildDefinition.buildType == 'https://actions.github.io/buildtypes/workflow/v1' && predicate.runDetails.builder.id.startsWith('https://github.com/acme/')" }] }],
    });
    const cm = await c.admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sigstore-root' }, data: { 'trusted_root.json': sigstore.trustedRootJson } });
    assert.equal(cm.status, 201, cm.text);
    await createPolicy(c.admin, 'key-bundles', { images: [{ glob: `${reg.host}/keybundle/**` }], authorities: [{ key: { data: cosignKey.publicKey.export({ type: 'spki', format: 'pem' }).toString() } }] });
    await createPolicy(c.admin, 'from-configmap', { images: [{ glob: `${reg.host}/cmroot/**` }], authorities: [{ keyless: { trustedRoot: { configMapRef: { namespace: 'default', name: 'sigstore-root', key: 'trusted_root.json' } }, identities: [{ issuer: GITHUB, subject: WORKFLOW }] } }] });
  });
  after(async () => {
    client?.close();
    await c?.close();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('policies with keyless authorities are validated: trusted root, identities, conditions', async () => {
    const post = (name: string, authority: unknown) => c.admin.post(CIP, { apiVersion: 'policy.portcullis.dev/v1alpha1', kind: 'ClusterImagePolicy', metadata: { name }, spec: { images: [{ glob: '**' }], authorities: [authority] } });
    const badRoot = await post('bad-root', { keyless: { trustedRoot: { data: '{"mediaType":"nope"}' }, identities: [{ issuer: GITHUB, subject: WORKFLOW }] } });
    assert.equal(badRoot.status, 422, badRoot.text);
    assert.match(badRoot.body.message, /spec\.authorities\[0\]\.keyless\.trustedRoot\.data: Invalid value: "<trusted root>": trusted root has mediaType "nope"/);
    const noSubject = await post('no-subject', { keyless: { trustedRoot: { data: sigstore.trustedRootJson }, identities: [{ issuer: GITHUB }] } });
    assert.equal(noSubject.status, 422, noSubject.text);
    assert.match(noSubject.body.message, /exactly one of subject or subjectRegExp must be set/);
    const badRe = await post('bad-re', { keyless: { trustedRoot: { data: sigstore.trustedRootJson }, identities: [{ issuer: GITHUB, subjectRegExp: '(a' }] } });
    assert.equal(badRe.status, 422, badRe.text);
    assert.match(badRe.body.message, /subjectRegExp: error parsing regexp/);
    const badCel = await post('bad-cel', { keyless: { trustedRoot: { data: sigstore.trustedRootJson }, identities: [{ issuer: GITHUB, subject: WORKFLOW }] }, attestations: [{ predicateType: SLSA, condition: 'predicate.a +' }] });
    assert.equal(badCel.status, 422, badCel.text);
    assert.match(badCel.body.message, /attestations\[0\]\.condition: Invalid value: .*compilation failed/);
    const keyAttest = await post('key-attest', { static: { action: 'pass' }, attestations: [{ predicateType: SLSA }] });
    assert.equal(keyAttest.status, 422, keyAttest.text);
    assert.match(keyAttest.body.message, /attestations are verified for keyless authorities only/);
  });

  test('a keyless-signed image (bundle referrer) is admitted and pinned; the identity matched by RE2', async () => {
    const img = await image('keyless/app', 'keyless-signed', { who: release });
    const r = await c.admin.post(PODS, pod('keyless-signed', img.ref));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.spec.containers[0].image, `${reg.host}/keyless/app@${img.digest}`);
  });

  test('wrong identity, wrong issuer and another instance denied UNTRUSTED_KEY; unsigned UNSIGNED', async () => {
    const a = await image('othersubject/app', 'other-subject', { who: release });
    assert.match(await denied('wrong-subject', a.ref, 'UNTRUSTED_KEY'), /certificate identity ".*release\.yml@refs\/heads\/main" from issuer "https:\/\/token\.actions\.githubusercontent\.com" matches no trusted identity/);
    const b = await image('otherissuer/app', 'other-issuer', { who: release });
    await denied('wrong-issuer', b.ref, 'UNTRUSTED_KEY');
    const d = await image('keyless/stranger', 'stranger', { who: release, by: stranger });
    assert.match(await denied('stranger', d.ref, 'UNTRUSTED_KEY'), /certificate chain/);
    const u = await image('keyless/unsigned', 'unsigned');
    assert.match(await denied('unsigned', u.ref, 'UNSIGNED'), /no Sigstore bundle refers to the image/);
  });

  test("a bundle copied onto another image is denied SUBJECT_MISMATCH", async () => {
    const signed = await image('keyless/original', 'original', { who: release });
    const copy = await image('keyless/copy', 'copy');
    const m = await client.getManifest(parseDockerRef(signed.ref));
    // The referrer says it is about the copy, the bundle signs the original's manifest.
    await attachBundle(client, pusher, parseDockerRef(copy.ref), copy.subject, sigstore.signArtifact(release, m.bytes));
    assert.match(await denied('copied', copy.ref, 'SUBJECT_MISMATCH'), /the bundle signs sha256:/);
  });

  test('attestations: a verified provenance whose condition holds admits; a false condition or none is ATTESTATION_FAILED', async () => {
    const statement = (digest: string, builder: string) => ({ subjectName: `${reg.host}/attested/app`, digest, predicateType: SLSA, predicate: { buildDefinition: { buildType: 'https://actions.github.io/buildtypes/workflow/v1' }, runDetails: { builder: { id: builder } } } });
    const good = await image('attested/good', 'attested-good');
    await attachBundle(client, pusher, parseDockerRef(good.ref), good.subject, sigstore.attest(release, statement(good.digest, 'https://github.com/acme/runner')), SLSA);
    const r = await c.admin.post(PODS, pod('attested', good.ref));
    assert.equal(r.status, 201, r.text);

    const bad = await image('attested/bad', 'attested-bad');
    await attachBundle(client, pusher, parseDockerRef(bad.ref), bad.subject, sigstore.attest(release, statement(bad.digest, 'https://evil.example/runner')), SLSA);
    assert.match(await denied('attested-bad', bad.ref, 'ATTESTATION_FAILED'), /condition .* does not hold/);

    // A signature alone does not satisfy an attestation requirement.
    const sigOnly = await image('attested/sig-only', 'attested-sig-only', { who: release });
    assert.match(await denied('sig-only', sigOnly.ref, 'ATTESTATION_FAILED'), /no verified attestation of type https:\/\/slsa\.dev\/provenance\/v1/);

    // An attestation about another image (its statement's subject) does not count for this one.
    const other = await image('attested/other', 'attested-other');
    await attachBundle(client, pusher, parseDockerRef(other.ref), other.subject, sigstore.attest(release, statement(good.digest, 'https://github.com/acme/runner')), SLSA);
    assert.match(await denied('attested-other', other.ref, 'ATTESTATION_FAILED'), /SUBJECT_MISMATCH/);
  });

  test('the trusted root can come from a ConfigMap', async () => {
    const img = await image('cmroot/app', 'cm-root', { who: release });
    const r = await c.admin.post(PODS, pod('cm-root', img.ref));
    assert.equal(r.status, 201, r.text);
  });

  test('a key authority also accepts a key-signed bundle referrer (no legacy .sig); another key is UNTRUSTED_KEY, neither form UNSIGNED', async () => {
    const signed = await image('keybundle/app', 'key-bundle');
    const m = await client.getManifest(parseDockerRef(signed.ref));
    await attachBundle(client, pusher, parseDockerRef(signed.ref), signed.subject, keyBundle(cosignKey.privateKey, m.bytes));
    const r = await c.admin.post(PODS, pod('key-bundle', signed.ref));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.spec.containers[0].image, `${reg.host}/keybundle/app@${signed.digest}`);

    const wrong = await image('keybundle/wrong', 'key-bundle-wrong');
    const wm = await client.getManifest(parseDockerRef(wrong.ref));
    await attachBundle(client, pusher, parseDockerRef(wrong.ref), wrong.subject, keyBundle(otherKey.privateKey, wm.bytes));
    assert.match(await denied('key-bundle-wrong', wrong.ref, 'UNTRUSTED_KEY'), /does not verify with any trusted key/);
    // A keyless bundle does not satisfy a key authority.
    const keyless = await image('keybundle/keyless', 'key-bundle-keyless', { who: release });
    assert.match(await denied('key-bundle-keyless', keyless.ref, 'UNTRUSTED_KEY'), /no keyless identity is trusted/);
    const none = await image('keybundle/none', 'key-bundle-none');
    assert.match(await denied('key-bundle-none', none.ref, 'UNSIGNED'), /no signatures found .*, and no Sigstore bundle refers to the image/);
  });
});
