// The registry client against Debian's real docker-registry: an image built from busybox-static is
// pushed, resolved and pulled with every blob verified; tampered storage is DIGEST_MISMATCH; the
// TLS registry requires its basic-auth user.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { entries as tarEntries } from 'tar';
import { buildImage, type BuiltImage } from '../../src/image-policy/oci/build.ts';
import { pushLayout } from '../../src/image-policy/oci/push-layout.ts';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { CredentialKeyring } from '../../src/image-policy/registry/credentials.ts';
import { sha256Digest } from '../../src/image-policy/registry/digest.ts';
import { OCI_INDEX, OCI_MANIFEST, type ImageManifest } from '../../src/image-policy/registry/media-types.ts';
import { RegistryPusher, bufferSource } from '../../src/image-policy/registry/push.ts';
import { registryBlobPath, registrySkip, startRegistry, type TestRegistry, reasonCode } from '../helpers/registry.ts';
import { requireBinaries } from '../helpers/real-parts.ts';

const skip = registrySkip() || requireBinaries('busybox-static', 'busybox');

const code = reasonCode;

function collect(): { sink: PassThrough; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  return { sink, bytes: () => Buffer.concat(chunks) };
}

describe('registry client with docker-registry (plain HTTP on loopback)', { skip }, () => {
  let reg: TestRegistry;
  let work: string;
  let built: BuiltImage;
  let client: RegistryClient;
  let pusher: RegistryPusher;

  before(async () => {
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'portcullis-image-'));
    const ctx = join(work, 'rootfs');
    mkdirSync(join(ctx, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(ctx, 'bin', 'busybox'));
    built = await buildImage({ contextDir: ctx, outputDir: join(work, 'layout'), entrypoint: ['/bin/busybox'], cmd: ['sh'], user: '1000:1000', env: ['A=b'], workingDir: '/', refName: 'v1' });
    client = new RegistryClient({ deadlineMs: 10_000 });
    pusher = new RegistryPusher(client.transport);
  });
  after(async () => {
    client?.close();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('build → push → resolve the tag → pull every blob verified', async () => {
    const ref = parseDockerRef(`${reg.host}/busybox:v1`);
    const pushed = await pushLayout(pusher, join(work, 'layout'), ref, 'v1');
    assert.equal(pushed.digest, built.manifest.digest);
    assert.deepEqual(pushed.blobs.map((b) => b.outcome), ['uploaded', 'uploaded']);

    const desc = await client.resolve(ref);
    assert.equal(desc.digest, built.manifest.digest);
    assert.equal(desc.mediaType, OCI_MANIFEST);

    const img = await client.resolveImage(ref);
    assert.equal(img.manifestDigest, built.manifest.digest);
    const config = JSON.parse((await client.getBlob(ref, img.manifest.config)).toString()) as { config: Record<string, unknown>; rootfs: { diff_ids: string[] } };
    assert.deepEqual(config.config['Entrypoint'], ['/bin/busybox']);
    assert.deepEqual(config.config['Cmd'], ['sh']);
    assert.equal(config.config['User'], '1000:1000');
    assert.ok((config.config['Env'] as string[]).includes('A=b'));
    assert.deepEqual(config.rootfs.diff_ids, [built.diffId]);

    const { sink, bytes } = collect();
    await client.streamBlob(ref, img.manifest.layers[0]!, sink);
    const layer = bytes();
    assert.equal(sha256Digest(layer), built.layer.digest);
    const names: string[] = [];
    for await (const e of tarEntries(layer)) {
      names.push(e.path);
      // Portable headers with the fixed timestamp: the digest depends on the content only.
      assert.equal(e.mtime?.getTime() ?? 0, 0, e.path);
      if (e.path === 'bin/busybox') assert.equal((e.mode ?? 0) & 0o111, 0o111, 'busybox stays executable');
    }
    assert.ok(names.includes('bin/busybox'), names.join(','));

    // Pushing again finds every blob; another repository mounts them.
    const again = await pushLayout(pusher, join(work, 'layout'), ref, 'v1');
    assert.deepEqual(again.blobs.map((b) => b.outcome), ['exists', 'exists']);
    const other = await pushLayout(pusher, join(work, 'layout'), parseDockerRef(`${reg.host}/copy:v1`), 'v1', 'busybox');
    assert.deepEqual(other.blobs.map((b) => b.outcome), ['mounted', 'mounted']);
  });

  test('chunked upload (PATCH with Content-Range) gives the same blob', async () => {
    const chunked = new RegistryPusher(client.transport, { chunkBytes: 256 * 1024 });
    const ref = parseDockerRef(`${reg.host}/chunked:v1`);
    const pushed = await pushLayout(chunked, join(work, 'layout'), ref, 'v1');
    assert.deepEqual(pushed.blobs.map((b) => b.outcome), ['uploaded', 'uploaded']);
    const { sink, bytes } = collect();
    await client.streamBlob(ref, built.layer, sink);
    assert.equal(sha256Digest(bytes()), built.layer.digest);
  });

  test('unknown tag and repository are IMAGE_NOT_FOUND', async () => {
    await assert.rejects(client.resolve(parseDockerRef(`${reg.host}/busybox:nope`)), code('IMAGE_NOT_FOUND'));
    await assert.rejects(client.resolveImage(parseDockerRef(`${reg.host}/nothing-here:v1`)), code('IMAGE_NOT_FOUND'));
  });

  test('a blob tampered in the registry storage is DIGEST_MISMATCH', async () => {
    const repo = parseDockerRef(`${reg.host}/tamper:v1`);
    const data = Buffer.from('{"hello":"world"}');
    const digest = sha256Digest(data);
    await pusher.pushBlob(repo, { digest, size: data.length }, bufferSource(data));
    assert.deepEqual(await client.getBlob(repo, { digest, size: data.length }), data);
    writeFileSync(registryBlobPath(reg, digest), Buffer.from('{"hello":"w0rld"}'));
    await assert.rejects(new RegistryClient().getBlob(repo, { digest, size: data.length }), code('DIGEST_MISMATCH'));

    // A layer the registry serves with other bytes fails after streaming, and says so.
    const layerPath = registryBlobPath(reg, built.layer.digest);
    const original = readFileSync(layerPath);
    const changed = Buffer.from(original);
    changed[changed.length - 10] ^= 0xff;
    writeFileSync(layerPath, changed);
    try {
      await assert.rejects(client.streamBlob(parseDockerRef(`${reg.host}/busybox:v1`), built.layer, new PassThrough().resume()), code('DIGEST_MISMATCH'));
    } finally {
      writeFileSync(layerPath, original);
    }
  });

  test('referrers: a registry without the API is read through the sha256-<hex> tag', async () => {
    const ref = parseDockerRef(`${reg.host}/busybox:v1`);
    const subject = built.manifest.digest;
    assert.deepEqual(await client.referrers(ref, subject), []);
    // An artifact manifest that refers to the image, listed in the fallback tag's index.
    const empty = Buffer.from('{}');
    await pusher.pushBlob(ref, { digest: sha256Digest(empty), size: 2 }, bufferSource(empty));
    const artifact: ImageManifest = {
      schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest(empty), size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest(empty), size: 2 }],
      subject: built.manifest,
    };
    const artifactBytes = Buffer.from(JSON.stringify(artifact));
    const artifactDigest = await pusher.pushManifest({ ...ref, tag: undefined, digest: sha256Digest(artifactBytes) }, OCI_MANIFEST, artifactBytes);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, digest: artifactDigest, size: artifactBytes.length, artifactType: 'application/vnd.example+json' }],
    }));
    await pusher.pushManifest({ ...ref, tag: subject.replace(':', '-') }, OCI_INDEX, index);
    const fresh = new RegistryClient();
    try {
      const found = await fresh.referrers(ref, subject, 'application/vnd.example+json');
      assert.deepEqual(found.map((d) => d.digest), [artifactDigest]);
      assert.deepEqual(await fresh.referrers(ref, subject, 'application/vnd.other'), []);
    } finally {
      fresh.close();
    }
  });
});

describe('registry client with docker-registry (TLS, htpasswd basic auth)', { skip }, () => {
  let reg: TestRegistry;
  let work: string;

  before(async () => {
    reg = await startRegistry({ tls: true });
    work = mkdtempSync(join(tmpdir(), 'portcullis-image-'));
    mkdirSync(join(work, 'rootfs'));
    writeFileSync(join(work, 'rootfs', 'hello.txt'), 'hello\n');
    await buildImage({ contextDir: join(work, 'rootfs'), outputDir: join(work, 'layout'), entrypoint: ['/hello'] });
  });
  after(async () => {
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const keyring = (username: string, password: string) =>
    new CredentialKeyring([{ auths: { [reg.host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }]);

  test('the right user pushes and pulls; a wrong password or none is refused', async () => {
    const ref = parseDockerRef(`${reg.host}/team/app:v1`);
    const good = new RegistryClient({ hosts: { [reg.host]: { caPem: reg.caPem! } }, keyring: keyring(reg.user!.username, reg.user!.password) });
    try {
      const pushed = await pushLayout(new RegistryPusher(good.transport), join(work, 'layout'), ref);
      assert.equal((await good.resolve(ref)).digest, pushed.digest);
      // The lookup's own credentials (a pod's imagePullSecrets) are used instead of the default.
      await assert.rejects(good.resolve(ref, { keyring: keyring(reg.user!.username, 'wrong') }), code('IMAGE_NOT_FOUND'));
    } finally {
      good.close();
    }
    const anonymous = new RegistryClient({ hosts: { [reg.host]: { caPem: reg.caPem! } } });
    const wrong = new RegistryClient({ hosts: { [reg.host]: { caPem: reg.caPem! } }, keyring: keyring(reg.user!.username, 'wrong') });
    try {
      await assert.rejects(anonymous.resolve(ref), (err) => code('IMAGE_NOT_FOUND')(err) && /pull access denied/.test((err as Error).message));
      await assert.rejects(wrong.resolve(ref), code('IMAGE_NOT_FOUND'));
      await assert.rejects(pushLayout(new RegistryPusher(wrong.transport), join(work, 'layout'), parseDockerRef(`${reg.host}/team/other:v1`)), code('IMAGE_NOT_FOUND'));
    } finally {
      anonymous.close();
      wrong.close();
    }
  });

  test('a certificate from an unknown CA is REGISTRY_UNAVAILABLE, never a plain-HTTP retry', async () => {
    // Loopback may fall back to HTTP only when the HTTPS handshake itself fails; an untrusted
    // certificate is an answer from a TLS server, so the lookup fails.
    const c = new RegistryClient({ keyring: keyring(reg.user!.username, reg.user!.password) });
    try {
      await assert.rejects(c.resolve(parseDockerRef(`${reg.host}/team/app:v1`)), code('REGISTRY_UNAVAILABLE'));
    } finally {
      c.close();
    }
  });
});
