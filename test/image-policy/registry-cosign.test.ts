// `portcullis image build | push | keygen | sign | verify` against Debian's docker-registry, and the
// cosign key verifier's denials: unsigned, wrong key, tag moved after signing, a signature copied
// onto another image or into another repository, a tampered signature.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign } from 'node:crypto';
import { signImage } from '../../src/image-policy/oci/cosign-sign.ts';
import { runImage } from '../../src/cli/image.ts';
import { SIGNATURE_ANNOTATION, signatureTag, simpleSigningPayload } from '../../src/image-policy/oci/cosign-payload.ts';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { OCI_MANIFEST, type ImageManifest } from '../../src/image-policy/registry/media-types.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import { loadPublicKeys, verifyCosignKey } from '../../src/image-policy/verifiers/cosign-key.ts';
import { registrySkip, startRegistry, type TestRegistry, reasonCode } from '../helpers/registry.ts';
import { requireBinaries } from '../helpers/real-parts.ts';

const skip = registrySkip() || requireBinaries('busybox-static', 'busybox');

const code = reasonCode;

describe('portcullis image and cosign key verification with docker-registry', { skip }, () => {
  let reg: TestRegistry;
  let work: string;
  let client: RegistryClient;
  let pusher: RegistryPusher;
  let keys: ReturnType<typeof loadPublicKeys>;
  let otherKeys: ReturnType<typeof loadPublicKeys>;

  async function cli(...argv: string[]): Promise<string> {
    let out = '';
    assert.equal(await runImage(argv, (s) => (out += s)), 0, `portcullis image ${argv.join(' ')}`);
    return out;
  }

  /** A one-file image whose content (and so digest) depends on `text`. */
  async function pushImage(ref: string, text: string): Promise<string> {
    const dir = mkdtempSync(join(work, 'ctx-'));
    writeFileSync(join(dir, 'version.txt'), text);
    const out = await cli('push', '--from-dir', dir, ref, '--entrypoint', '/bin/busybox', '--cmd', 'cat', '--cmd', '/version.txt');
    return /@(sha256:[0-9a-f]{64})/.exec(out)![1]!;
  }

  before(async () => {
    // keygen encrypts and sign decrypts with cosign's password variable.
    process.env['COSIGN_PASSWORD'] = 'test password';
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'portcullis-cosign-'));
    await cli('keygen', '--output-key-prefix', join(work, 'cosign'));
    await cli('keygen', '--output-key-prefix', join(work, 'other'));
    assert.match(readFileSync(join(work, 'cosign.key'), 'utf8'), /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
    keys = loadPublicKeys([readFileSync(join(work, 'cosign.pub'), 'utf8')]);
    otherKeys = loadPublicKeys([readFileSync(join(work, 'other.pub'), 'utf8')]);
    client = new RegistryClient();
    pusher = new RegistryPusher(client.transport);
  });
  after(async () => {
    client?.close();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('build -t, push LAYOUT, sign, verify: the signed image verifies with its key only', async () => {
    const ctx = join(work, 'rootfs');
    mkdirSync(join(ctx, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(ctx, 'bin', 'busybox'));
    const built = await cli('build', ctx, '-t', `${reg.host}/app:v1`, '--output', join(work, 'app.oci'), '--entrypoint', '["/bin/busybox","sh"]', '--user', '65534');
    const digest = /built (sha256:[0-9a-f]{64})/.exec(built)![1]!;
    assert.match(await cli('push', join(work, 'app.oci'), `${reg.host}/app:v1`), new RegExp(`pushed ${reg.host}/app:v1@${digest}`));

    const ref = parseDockerRef(`${reg.host}/app:v1`);
    await assert.rejects(verifyCosignKey(client, ref, keys), code('UNSIGNED'));

    const signed = await cli('sign', `${reg.host}/app:v1`, '--key', join(work, 'cosign.key'));
    assert.match(signed, new RegExp(`pushed signature ${reg.host}/app:${signatureTag(digest).replace('.', '\\.')}@`));
    // The signature image is cosign's: simple-signing layer, payload bound to the digest.
    const sig = (await client.getManifest({ ...ref, tag: signatureTag(digest) })).json as ImageManifest;
    assert.equal(sig.mediaType, OCI_MANIFEST);
    assert.equal(sig.layers.length, 1);
    assert.equal(sig.layers[0]!.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    const payload = (await client.getBlob(ref, sig.layers[0]!)).toString();
    assert.equal(payload, `{"critical":{"identity":{"docker-reference":"${reg.host}/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`);

    const ok = await verifyCosignKey(client, ref, keys);
    assert.equal(ok.digest, digest);
    assert.match(await cli('verify', `${reg.host}/app:v1`, '--key', join(work, 'cosign.pub')), /verified .*@sha256:/);
    await assert.rejects(verifyCosignKey(client, ref, otherKeys), code('UNTRUSTED_KEY'));
    await assert.rejects(runImage(['verify', `${reg.host}/app:v1`, '--key', join(work, 'other.pub')], () => undefined), /^Error: UNTRUSTED_KEY: /);

    // A second signature is appended, as cosign does; either key now verifies.
    await cli('sign', `${reg.host}/app@${digest}`, '--key', join(work, 'other.key'));
    const both = (await client.getManifest({ ...ref, tag: signatureTag(digest) })).json as ImageManifest;
    assert.equal(both.layers.length, 2);
    assert.equal((await verifyCosignKey(client, ref, otherKeys)).keyIndex, 0);
  });

  test('RSA, Ed25519 and P-384 keys sign and verify (PKCS#1 v1.5 / pure Ed25519 / SHA-256, and SHA-384 for P-384 as newer cosign signs)', async () => {
    const ref = parseDockerRef(`${reg.host}/keytypes:v1`);
    await pushImage(`${reg.host}/keytypes:v1`, 'key types');
    const pairs = [generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('ed25519'), generateKeyPairSync('ec', { namedCurve: 'P-384' })];
    for (const { privateKey } of pairs) await signImage(client, pusher, ref, privateKey);
    // Newer cosign signs with a P-384 key's own hash (SHA-384): such a signature verifies too.
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const digest384 = (await client.resolve(ref)).digest;
    const sigRef = { ...ref, tag: signatureTag(digest384) };
    const payload = simpleSigningPayload(ref, digest384);
    const existing = (await client.getManifest(sigRef)).json as ImageManifest;
    const layer = { ...existing.layers[0]!, annotations: { [SIGNATURE_ANNOTATION]: sign('sha384', payload, p384.privateKey).toString('base64') } };
    await pusher.pushManifest(sigRef, OCI_MANIFEST, Buffer.from(JSON.stringify({ ...existing, layers: [...existing.layers, layer] })));
    assert.equal((await verifyCosignKey(client, ref, [p384.publicKey])).keyIndex, 0);
    for (const [i, { publicKey }] of pairs.entries()) assert.equal((await verifyCosignKey(client, ref, [publicKey])).keyIndex, 0, `key ${i}`);
    // One payload, four signatures of it: four layers with the same payload digest.
    const digest = (await client.resolve(ref)).digest;
    const sig = (await client.getManifest({ ...ref, tag: signatureTag(digest) })).json as ImageManifest;
    assert.equal(sig.layers.length, 4);
    assert.equal(new Set(sig.layers.map((l) => l.annotations?.[SIGNATURE_ANNOTATION])).size, 4);
  });

  test('a tag moved after signing is unsigned', async () => {
    const ref = parseDockerRef(`${reg.host}/moved:v1`);
    await pushImage(`${reg.host}/moved:v1`, 'one');
    await cli('sign', `${reg.host}/moved:v1`, '--key', join(work, 'cosign.key'));
    await verifyCosignKey(client, ref, keys);
    await pushImage(`${reg.host}/moved:v1`, 'two');
    await assert.rejects(verifyCosignKey(client, ref, keys), code('UNSIGNED'));
  });

  test("image A's signature copied onto image B is DIGEST_MISMATCH; into another repository, SUBJECT_MISMATCH", async () => {
    const a = await pushImage(`${reg.host}/copy:a`, 'image a');
    const b = await pushImage(`${reg.host}/copy:b`, 'image b');
    await cli('sign', `${reg.host}/copy:a`, '--key', join(work, 'cosign.key'));
    const repo = parseDockerRef(`${reg.host}/copy:a`);
    const sigA = await client.getManifest({ ...repo, tag: signatureTag(a) });
    await pusher.pushManifest({ ...repo, tag: signatureTag(b) }, OCI_MANIFEST, sigA.bytes);
    await assert.rejects(verifyCosignKey(client, parseDockerRef(`${reg.host}/copy:b`), keys), code('DIGEST_MISMATCH'));

    // The same image and its signature mounted into another repository: the payload names the first.
    const elsewhere = parseDockerRef(`${reg.host}/elsewhere:a`);
    const imgA = await client.getManifest({ ...repo, digest: a, tag: undefined });
    const m = imgA.json as ImageManifest;
    for (const d of [m.config, ...m.layers]) await pusher.pushBlob(elsewhere, d, { size: d.size, read: async () => client.getBlob(repo, d) }, 'copy');
    await pusher.pushManifest(elsewhere, OCI_MANIFEST, imgA.bytes);
    const sm = sigA.json as ImageManifest;
    for (const d of [sm.config, ...sm.layers]) await pusher.pushBlob(elsewhere, d, { size: d.size, read: async () => client.getBlob(repo, d) }, 'copy');
    await pusher.pushManifest({ ...elsewhere, tag: signatureTag(a) }, OCI_MANIFEST, sigA.bytes);
    await assert.rejects(verifyCosignKey(client, elsewhere, keys), code('SUBJECT_MISMATCH'));
  });

  test('a signature annotation changed in the registry no longer verifies', async () => {
    const d = await pushImage(`${reg.host}/tampered:v1`, 'tampered');
    await cli('sign', `${reg.host}/tampered:v1`, '--key', join(work, 'cosign.key'));
    const ref = parseDockerRef(`${reg.host}/tampered:v1`);
    const sig = (await client.getManifest({ ...ref, tag: signatureTag(d) })).json as ImageManifest;
    // One bit of the signature flipped: still base64, no longer a signature of this payload.
    const forged = structuredClone(sig);
    const b = Buffer.from(forged.layers[0]!.annotations![SIGNATURE_ANNOTATION]!, 'base64');
    b[b.length - 1] ^= 0x01;
    forged.layers[0]!.annotations![SIGNATURE_ANNOTATION] = b.toString('base64');
    await pusher.pushManifest({ ...ref, tag: signatureTag(d) }, OCI_MANIFEST, Buffer.from(JSON.stringify(forged)));
    await assert.rejects(verifyCosignKey(client, ref, keys), code('UNTRUSTED_KEY'));
    forged.layers[0]!.annotations![SIGNATURE_ANNOTATION] = 'not base64!';
    await pusher.pushManifest({ ...ref, tag: signatureTag(d) }, OCI_MANIFEST, Buffer.from(JSON.stringify(forged)));
    await assert.rejects(verifyCosignKey(client, ref, keys), code('SIGNATURE_INVALID'));
  });
});
