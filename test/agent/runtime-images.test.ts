/**
 * The node's image store with real parts: an image built by `portcullis image build` (an OCI
 * layout) imported, the same image pushed to Debian's docker-registry and pulled by digest-checked
 * download (concurrent pulls share one), a tampered layer refused with nothing stored, and a
 * container run by runc from the pulled image with the image's Entrypoint/Cmd/User/Env.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, type BuiltImage } from '../../src/image-policy/oci/build.ts';
import { REF_NAME_ANNOTATION, readBlob, writeBlob, writeIndex } from '../../src/image-policy/oci/layout.ts';
import { OCI_MANIFEST, type ImageManifest } from '../../src/image-policy/registry/media-types.ts';
import { pushLayout } from '../../src/image-policy/oci/push-layout.ts';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import { busyboxRootfs } from '../../src/cluster/agent/runtime/busybox-rootfs.ts';
import { ImageStore } from '../../src/cluster/agent/runtime/image-store.ts';
import { ImageGcManager } from '../../src/cluster/agent/image-gc.ts';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';
import type { ContainerStatus } from '../../src/cluster/agent/runtime/types.ts';
import { reasonCode, registryBlobPath, registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { requireRunc } from '../helpers/real-parts.ts';

const skip = requireRunc('the image store and runc') || registrySkip();

describe('image store: OCI layout import, registry pulls, containers from pulled images', { skip }, () => {
  let work = '';
  let reg: TestRegistry;
  let client: RegistryClient;
  let built: BuiltImage;
  let layout = '';
  let rt: RuncRuntime | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'portcullis-images-'));
    const ctx = await busyboxRootfs(join(work, 'ctx'));
    layout = join(work, 'bb.oci');
    built = await buildImage({
      contextDir: ctx.rootfs, outputDir: layout, refName: 'v1',
      entrypoint: ['/bin/sh', '-c'], cmd: ['echo $GREETING from the image; id -u'], user: '65534', env: ['GREETING=hello'],
    });
    reg = await startRegistry();
    client = new RegistryClient();
    await pushLayout(new RegistryPusher(client.transport), layout, parseDockerRef(`${reg.host}/bb:v1`), 'v1');
  });

  after(async () => {
    if (rt) {
      const { containers, sandboxes } = await rt.list();
      for (const c of containers) await rt.removeContainer(c.id).catch(() => undefined);
      for (const s of sandboxes) await rt.removeSandbox(s.id).catch(() => undefined);
      rt.close();
    }
    client?.close();
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('an OCI layout imports once, content-addressed, and is found by reference without a network', async () => {
    const store = new ImageStore({ root: join(work, 'store-layout') });
    const info = await store.importLayout(layout, 'portcullis.local/bb:v1');
    assert.equal(info.digest, built.manifest.digest);
    assert.deepEqual(info.config, { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo $GREETING from the image; id -u'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello'], User: '65534' });
    assert.ok(existsSync(join(info.rootfs, 'bin', 'busybox')));
    assert.equal((await store.imageStatus('portcullis.local/bb:v1'))?.digest, info.digest);
    assert.equal((await store.imageStatus(`portcullis.local/bb@${info.digest}`))?.rootfs, info.rootfs);
    assert.equal(await store.imageStatus('portcullis.local/bb:v2'), undefined);
    await assert.rejects(store.pullImage('portcullis.local/bb:v2'), /no registry client configured/);
  });

  test("a layer whose uncompressed content is not the config's diff ID is refused", async () => {
    const bad = join(work, 'bad.oci');
    await cp(layout, bad, { recursive: true });
    const manifest = JSON.parse(readBlob(layout, built.manifest).toString()) as ImageManifest;
    const config = JSON.parse(readBlob(layout, manifest.config).toString()) as { rootfs: { diff_ids: string[] } };
    config.rootfs.diff_ids = [`sha256:${'0'.repeat(64)}`];
    const configBytes = Buffer.from(JSON.stringify(config));
    const badManifest = Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, digest: writeBlob(bad, configBytes), size: configBytes.length } }));
    writeIndex(bad, [{ mediaType: OCI_MANIFEST, digest: writeBlob(bad, badManifest), size: badManifest.length, annotations: { [REF_NAME_ANNOTATION]: 'v1' } }]);
    const store = new ImageStore({ root: join(work, 'store-bad') });
    await assert.rejects(store.importLayout(bad, 'portcullis.local/bad:v1'), /diff ID mismatch/);
    assert.deepEqual(await readdir(join(work, 'store-bad', 'images')).catch(() => []), []);
  });

  test('pulls from the registry verify every blob; concurrent pulls share one download', async () => {
    const store = new ImageStore({ root: join(work, 'store-pull'), registry: client });
    const ref = `${reg.host}/bb:v1`;
    const [a, b] = await Promise.all([store.pullImage(ref), store.pullImage(ref)]);
    assert.equal(a.digest, built.manifest.digest);
    assert.equal(a.rootfs, b.rootfs);
    assert.deepEqual(await readdir(join(work, 'store-pull', 'images')), [built.manifest.digest.replace(':', '-')]);
    assert.equal((await store.imageStatus(ref))?.digest, a.digest);
  });

  test('a tampered layer is refused and nothing is stored', async () => {
    const path = registryBlobPath(reg, built.layer.digest);
    const original = await readFile(path);
    const bad = Buffer.from(original);
    bad[bad.length - 20] = (bad[bad.length - 20] ?? 0) ^ 0xff;
    await writeFile(path, bad);
    try {
      const store = new ImageStore({ root: join(work, 'store-tampered'), registry: new RegistryClient() });
      await assert.rejects(store.pullImage(`${reg.host}/bb:v1`), reasonCode('DIGEST_MISMATCH'));
      assert.deepEqual(await readdir(join(work, 'store-tampered', 'images')).catch(() => []), []);
      assert.equal(await store.imageStatus(`${reg.host}/bb:v1`), undefined);
    } finally {
      await writeFile(path, original);
    }
  });

  test('a container from the pulled image runs its Entrypoint/Cmd as its User with its Env', async () => {
    const store = new ImageStore({ root: join(work, 'store-pull'), registry: client });
    const image = await store.pullImage(`${reg.host}/bb:v1`);
    rt = new RuncRuntime({ stateRoot: join(work, 'state') });
    const pod = { uid: 'a0a0a0a0-0000-4000-8000-000000000002', namespace: 'default', name: 'from-registry' };
    const sandbox = await rt.createSandbox({ pod, spec: { containers: [] } });
    const container = { name: 'app' };
    const c = await rt.createContainer(sandbox.id, { pod, podSpec: { containers: [container] }, container, attempt: 0, image, env: [], mounts: [] });
    await rt.startContainer(c.id);
    let s: ContainerStatus | undefined;
    for (;;) {
      s = await rt.containerStatus(c.id);
      if (s?.state === 'exited') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(s.exitCode, 0);
    assert.equal(s.imageDigest, built.manifest.digest);
    let log = '';
    while (!log.includes('65534')) log = await readFile(s.logPath, 'utf8');
    assert.match(log, /stdout F hello from the image\n/);
    assert.match(log, /stdout F 65534\n/);
  });

  test('image GC: the store lists its images with their disk usage; over the high threshold an image no container uses goes, the one an exited container still uses stays', async () => {
    const store = new ImageStore({ root: join(work, 'store-pull'), registry: client });
    const ctx = await busyboxRootfs(join(work, 'ctx2'));
    const other = await buildImage({ contextDir: ctx.rootfs, outputDir: join(work, 'other.oci'), refName: 'v1', entrypoint: ['/bin/true'] });
    await store.importLayout(join(work, 'other.oci'), 'portcullis.local/other:v1');
    const listed = new Map((await store.listImages()).map((i) => [i.digest, i.sizeBytes]));
    assert.deepEqual([...listed.keys()].sort(), [built.manifest.digest, other.manifest.digest].sort());
    for (const size of listed.values()) assert.ok(size > 100_000, `a busybox rootfs takes disk space (${size})`);
    const warnings: string[] = [];
    const gc = new ImageGcManager({
      images: store, runtime: rt!, policy: { minAgeMs: 0 }, now: Date.now, log: { info: () => {} }, warn: (reason) => warnings.push(reason),
      // 90 % used; freeing 10 % of 1 MiB is less than one image.
      fsStats: async () => ({ capacityBytes: 1 << 20, availableBytes: (1 << 20) / 10 }),
    });
    const r = await gc.garbageCollect();
    assert.deepEqual(r.removed, [other.manifest.digest]);
    assert.deepEqual(warnings, []);
    assert.equal(await store.imageStatus('portcullis.local/other:v1'), undefined);
    assert.equal((await store.imageStatus(`${reg.host}/bb:v1`))?.digest, built.manifest.digest);
    assert.deepEqual((await store.listImages()).map((i) => i.digest), [built.manifest.digest]);
  });
});
