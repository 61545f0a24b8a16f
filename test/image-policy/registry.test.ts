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
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, type ImageManifest } from '../../src/image-policy/registry/media-types.ts';
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

  test('an index (OCI or Docker manifest list) resolves to the platform\'s manifest; Docker v2 manifests read too', async () => {
    const ref = parseDockerRef(`${reg.host}/multi:v1`);
    await pushLayout(pusher, join(work, 'layout'), ref, 'v1');
    // The same blobs as a Docker schema 2 manifest for arm64.
    const docker = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: built.config.digest, size: built.config.size },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: built.layer.digest, size: built.layer.size }],
    }));
    const dockerDigest = await pusher.pushManifest({ ...ref, tag: 'arm64' }, DOCKER_MANIFEST, docker);
    const dockerEntry = { mediaType: DOCKER_MANIFEST, digest: dockerDigest, size: docker.length };
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [
        { ...dockerEntry, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: OCI_MANIFEST, digest: built.manifest.digest, size: built.manifest.size, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    }));
    const indexDigest = await pusher.pushManifest({ ...ref, tag: 'oci-index' }, OCI_INDEX, index);
    const amd = await client.resolveImage({ ...ref, tag: 'oci-index' });
    assert.deepEqual([amd.digest, amd.mediaType, amd.manifestDigest], [indexDigest, OCI_INDEX, built.manifest.digest]);
    const armClient = new RegistryClient({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const s390 = new RegistryClient({ platform: { os: 'linux', architecture: 's390x' } });
    try {
      const arm = await armClient.resolveImage({ ...ref, tag: 'oci-index' });
      assert.equal(arm.manifestDigest, dockerDigest);
      assert.equal(arm.manifest.layers[0]!.digest, built.layer.digest);
      await assert.rejects(s390.resolveImage({ ...ref, tag: 'oci-index' }), (err) => code('IMAGE_NOT_FOUND')(err) && /no matching manifest for linux\/s390x in the manifest list entries/.test((err as Error).message));
    } finally {
      armClient.close();
      s390.close();
    }
    // A Docker manifest list (which names Docker manifests only).
    const list = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST,
      manifests: [{ ...dockerEntry, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }, { ...dockerEntry, platform: { os: 'linux', architecture: 'amd64' } }],
    }));
    const listDigest = await pusher.pushManifest({ ...ref, tag: 'docker-list' }, DOCKER_MANIFEST_LIST, list);
    const fromList = await client.resolveImage({ ...ref, tag: 'docker-list' });
    assert.deepEqual([fromList.digest, fromList.mediaType, fromList.manifestDigest], [listDigest, DOCKER_MANIFEST_LIST, dockerDigest]);
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
    // A client without the first one's lookups in flight, so the bytes are fetched again.
    const fresh = new RegistryClient();
    after(() => fresh.close());
    await assert.rejects(fresh.getBlob(repo, { digest, size: data.length }), code('DIGEST_MISMATCH'));

    // A manifest whose stored bytes changed: by tag and by digest, DIGEST_MISMATCH.
    const tref = parseDockerRef(`${reg.host}/tamper:v1`);
    await pushLayout(pusher, join(work, 'layout'), tref, 'v1');
    const mPath = registryBlobPath(reg, built.manifest.digest);
    const mOriginal = readFileSync(mPath);
    writeFileSync(mPath, Buffer.from(mOriginal.toString().replace('tar+gzip', 'tar+gzap')));
    try {
      await assert.rejects(fresh.getManifest(tref), code('DIGEST_MISMATCH'));
      await assert.rejects(fresh.getManifest({ ...tref, tag: undefined, digest: built.manifest.digest }), code('DIGEST_MISMATCH'));
    } finally {
      writeFileSync(mPath, mOriginal);
    }

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
      assert.deepEqual(await good.ping(reg.host), { apiVersion: 'registry/2.0' });
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
      await assert.rejects(anonymous.ping(reg.host), code('IMAGE_NOT_FOUND'));
      await assert.rejects(anonymous.resolve(ref), (err) => code('IMAGE_NOT_FOUND')(err) && /pull access denied/.test((err as Error).message));
      await assert.rejects(wrong.resolve(ref), code('IMAGE_NOT_FOUND'));
      await assert.rejects(pushLayout(new RegistryPusher(wrong.transport), join(work, 'layout'), parseDockerRef(`${reg.host}/team/other:v1`)), (err) => code('IMAGE_NOT_FOUND')(err) && /push access denied/.test((err as Error).message));
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
