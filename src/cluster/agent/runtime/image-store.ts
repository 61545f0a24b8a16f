/**
 * The node's images: pulled from a registry (the shared registry client: digests verified, loopback
 * registries over plain HTTP, others only when configured insecure) or imported from an OCI image
 * layout, and unpacked once into a content-addressed store:
 *   images/<alg>-<hex>/rootfs      the unpacked layers (read-only lower of every container's overlay)
 *   images/<alg>-<hex>/image.json  digest, manifest digest, image config
 *   refs.json                      reference → digest (what imageStatus answers without a network)
 * Every layer is written to a temporary file while hashed and applied only once its digest matched;
 * pulls of one image share one download.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { parseDockerRef, referenceString, type ImageReference } from '../../../image-policy/reference.ts';
import type { RegistryClient } from '../../../image-policy/registry/client.ts';
import { CredentialKeyring } from '../../../image-policy/registry/credentials.ts';
import { isImageManifest, type Descriptor, type ImageManifest } from '../../../image-policy/registry/media-types.ts';
import { checkManifestShape } from '../../../image-policy/registry/manifest-shape.ts';
import { SingleFlight } from '../../../image-policy/registry/singleflight.ts';
import { REF_NAME_ANNOTATION, blobPath, readBlob, readIndex } from '../../../image-policy/oci/layout.ts';
import { writeOrThrow } from '../../../util/drained.ts';
import { diskUsage } from '../disk-usage.ts';
import { ImagePullManager, type ImagePullManagerOptions } from './image-pull-manager.ts';
import { applyLayer } from './layer-apply.ts';
import { UncompressedBudget, checkDeclaredSize, checkLayerCount, decompressVerified, imageLimits, type ImageLimits } from './layer-decompress.ts';
import { writeJsonAtomic } from './state-files.ts';
import type { ImageConfig, ImageInfo, ImageService } from './types.ts';

export interface ImageStoreOptions {
  root: string;
  /** Pulls go through it; without one only imported images exist and pulls say so. */
  registry?: RegistryClient;
  /** Bounds on an image's layer count and uncompressed size (layer-decompress.ts; Docker's 125 layers and 32 GiB by default). */
  limits?: Partial<ImageLimits>;
  /** KEP-2535: imagePullCredentialsVerificationPolicy (default NeverVerifyPreloadedImages) and its allowlist; records under <root>/image_manager. */
  pullCredentials?: Pick<ImagePullManagerOptions, 'policy' | 'allowlist' | 'now'>;
}

interface StoredImage {
  digest: string;
  manifestDigest: string;
  config: ImageConfig;
}

/** The OCI image config document, as far as running a container needs it. */
interface OciImageConfig {
  config?: ImageConfig;
  rootfs?: { type?: string; diff_ids?: string[] };
}

export class ImageStore implements ImageService {
  private readonly root: string;
  private readonly registry: RegistryClient | undefined;
  private readonly limits: ImageLimits;
  private readonly manager: ImagePullManager;
  private readonly flights = new SingleFlight<ImageInfo>();
  private refsWrite: Promise<void> = Promise.resolve();
  /** Disk usage of each unpacked image, measured once (one entry per image on disk). */
  private readonly sizes = new Map<string, number>();

  constructor(o: ImageStoreOptions) {
    this.root = o.root;
    this.registry = o.registry;
    this.limits = imageLimits(o.limits);
    this.manager = new ImagePullManager({ root: o.root, ...o.pullCredentials });
  }

  /** The pull records of this node's images, once started (image-pull-manager.ts). */
  async pullManager(): Promise<ImagePullManager> {
    // The digests alone: listImages measures each image's disk usage, which the first pod start should not wait for.
    await this.manager.start({ imageStatus: (ref) => this.imageStatus(ref), listImages: () => this.digests() });
    return this.manager;
  }

  private async digests(): Promise<{ digest: string }[]> {
    const names = await readdir(join(this.root, 'images')).catch(() => [] as string[]);
    const out: { digest: string }[] = [];
    for (const n of names) {
      const m = /^([a-z0-9]+)-([a-f0-9]{32,})$/.exec(n);
      if (m && (await this.load(n, `${m[1]}:${m[2]}`))) out.push({ digest: `${m[1]}:${m[2]}` });
    }
    return out;
  }

  private imageDir(digest: string): string {
    if (!/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest)) throw new Error(`invalid digest ${JSON.stringify(digest)}`);
    return join(this.root, 'images', digest.replace(':', '-'));
  }

  async imageStatus(ref: string): Promise<ImageInfo | undefined> {
    const r = parseDockerRef(ref);
    const digest = r.digest ?? (await this.readRefs())[referenceString(r)];
    return digest ? this.load(ref, digest) : undefined;
  }

  async pullImage(ref: string, auth?: { username: string; password: string }): Promise<ImageInfo> {
    const r = parseDockerRef(ref);
    const registry = this.registry;
    if (!registry) throw new Error(`cannot pull ${ref}: this node has no registry client configured`);
    const keyring = auth ? new CredentialKeyring([{ auths: { [r.domain]: { username: auth.username, password: auth.password } } }]) : undefined;
    const resolved = await registry.resolveImage(r, keyring ? { keyring } : {});
    const info = await this.flights.do(resolved.digest, async () => {
      const have = await this.load(ref, resolved.digest);
      if (have) return have;
      return this.unpack(ref, resolved.digest, resolved.manifestDigest, resolved.manifest, {
        config: (d) => registry.getBlob(r, d, keyring ? { keyring } : {}),
        layer: (d, sink) => registry.streamBlob(r, d, sink, keyring ? { keyring } : {}),
      });
    });
    await this.recordRef(r, resolved.digest);
    return { ...info, ref };
  }

  /**
   * Imports an image from an OCI layout directory (what `portcullis image build` writes): the
   * manifest whose ref.name annotation is the reference's tag (or the whole reference), else the
   * only one. Recorded under `ref`.
   */
  async importLayout(dir: string, ref: string): Promise<ImageInfo> {
    const r = parseDockerRef(ref);
    const index = readIndex(dir);
    const named = index.manifests.filter((m) => {
      const name = m.annotations?.[REF_NAME_ANNOTATION];
      return name !== undefined && (name === r.tag || name === ref || name === referenceString(r));
    });
    const desc = named[0] ?? (index.manifests.length === 1 ? index.manifests[0] : undefined);
    if (!desc) throw new Error(`${dir}: no manifest named ${ref} (and more than one to choose from)`);
    const manifest: unknown = JSON.parse(readBlob(dir, desc).toString('utf8'));
    // As the registry client checks what a registry sends: descriptor digests end up in paths.
    if (!isImageManifest(desc.mediaType)) throw new Error(`${dir}: ${desc.digest} is a ${desc.mediaType}, not an image manifest`);
    checkManifestShape(manifest, desc.mediaType, `${dir}: ${desc.digest}`);
    const info = await this.flights.do(desc.digest, async () => {
      const have = await this.load(ref, desc.digest);
      if (have) return have;
      return this.unpack(ref, desc.digest, desc.digest, manifest as ImageManifest, {
        config: async (d) => readBlob(dir, d),
        layer: (d, sink) => copyVerified(blobPath(dir, d.digest), d, sink),
      });
    });
    await this.recordRef(r, desc.digest);
    return { ...info, ref };
  }

  /** Every unpacked image with the disk space its rootfs takes (for image garbage collection). */
  async listImages(): Promise<{ digest: string; sizeBytes: number }[]> {
    let names: string[];
    try {
      names = await readdir(join(this.root, 'images'));
    } catch {
      return [];
    }
    const out: { digest: string; sizeBytes: number }[] = [];
    for (const n of names) {
      const m = /^([a-z0-9]+)-([a-f0-9]{32,})$/.exec(n);
      if (!m) continue; // *.partial: an unpack in progress
      const digest = `${m[1]}:${m[2]}`;
      let size = this.sizes.get(digest);
      if (size === undefined) {
        if (!(await this.load(digest, digest))) continue;
        size = await diskUsage(join(this.root, 'images', n));
        this.sizes.set(digest, size);
      }
      out.push({ digest, sizeBytes: size });
    }
    return out;
  }

  async removeImage(digest: string): Promise<void> {
    await rm(this.imageDir(digest), { recursive: true, force: true });
    this.sizes.delete(digest);
    this.manager.forgetImage(digest);
    await this.updateRefs((refs) => {
      for (const [k, v] of Object.entries(refs)) if (v === digest) delete refs[k];
    });
  }

  /**
   * Synchronous, as refs.json below: both are a few hundred bytes, read for every container
   * created. A promise readFile is four trips through the thread pool and the event loop, and in
   * a burst of pod starts each trip waits behind the whole loop: the image step between a pod's
   * sandbox and its container took 0.5 s (p50 of 50 pods, start gate at 8) against ~10 µs of work.
   */
  private async load(ref: string, digest: string): Promise<ImageInfo | undefined> {
    const dir = this.imageDir(digest);
    try {
      const stored = JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8')) as StoredImage;
      return { ref, digest: stored.digest, config: stored.config, rootfs: join(dir, 'rootfs') };
    } catch {
      return undefined;
    }
  }

  private async unpack(
    ref: string,
    digest: string,
    manifestDigest: string,
    manifest: ImageManifest,
    src: { config: (d: Descriptor) => Promise<Buffer>; layer: (d: Descriptor, sink: Writable) => Promise<void> },
  ): Promise<ImageInfo> {
    const dir = this.imageDir(digest);
    // Before anything is downloaded or made: an image of too many layers is refused whole.
    checkLayerCount(ref, manifest.layers.length, this.limits);
    checkDeclaredSize(ref, manifest.layers, this.limits);
    const budget = new UncompressedBudget(ref, this.limits.maxUncompressedBytes);
    const work = `${dir}.partial`;
    const tmp = join(this.root, 'tmp');
    await rm(work, { recursive: true, force: true });
    await mkdir(join(work, 'rootfs'), { recursive: true });
    await mkdir(tmp, { recursive: true });
    try {
      const cfg = JSON.parse((await src.config(manifest.config)).toString('utf8')) as OciImageConfig;
      const diffIds = cfg.rootfs?.diff_ids ?? [];
      if (diffIds.length !== manifest.layers.length) throw new Error(`${ref}: the image config lists ${diffIds.length} diff IDs for ${manifest.layers.length} layers`);
      for (const [i, layer] of manifest.layers.entries()) {
        const file = join(tmp, `layer-${i}-${process.pid}-${Math.random().toString(36).slice(2)}`);
        try {
          // Written under a temporary name; applied only after the source verified the digest.
          const out = createWriteStream(file);
          // A failed write (a full disk) is thrown below: with no listener it would end the agent.
          out.on('error', () => undefined);
          try {
            await src.layer(layer, out);
          } finally {
            await new Promise<void>((resolve) => out.end(() => resolve()));
          }
          if (out.errored) throw new Error(`${ref}: writing layer ${layer.digest}: ${out.errored.message}`);
          // The uncompressed tar must be what the config's diff ID names, as containerd's unpacker checks.
          await decompressVerified(file, layer.mediaType, `${file}.tar`, diffIds[i] ?? '', budget, layer.digest);
          await applyLayer(join(work, 'rootfs'), `${file}.tar`, `${file}.d`);
        } finally {
          await rm(file, { force: true });
          await rm(`${file}.tar`, { force: true });
        }
      }
      const stored: StoredImage = { digest, manifestDigest, config: pickConfig(cfg.config ?? {}) };
      await writeJsonAtomic(join(work, 'image.json'), stored);
      await rm(dir, { recursive: true, force: true });
      await rename(work, dir);
      return { ref, digest, config: stored.config, rootfs: join(dir, 'rootfs') };
    } catch (err) {
      await rm(work, { recursive: true, force: true });
      throw err;
    }
  }

  private async readRefs(): Promise<Record<string, string>> {
    try {
      return JSON.parse(readFileSync(join(this.root, 'refs.json'), 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private updateRefs(change: (refs: Record<string, string>) => void): Promise<void> {
    this.refsWrite = this.refsWrite.then(async () => {
      const refs = await this.readRefs();
      change(refs);
      await mkdir(this.root, { recursive: true });
      await writeJsonAtomic(join(this.root, 'refs.json'), refs);
    });
    return this.refsWrite;
  }

  private recordRef(r: ImageReference, digest: string): Promise<void> {
    return this.updateRefs((refs) => {
      refs[referenceString(r)] = digest;
    });
  }
}

function pickConfig(c: ImageConfig): ImageConfig {
  const out: { -readonly [K in keyof ImageConfig]: ImageConfig[K] } = {};
  if (c.Entrypoint) out.Entrypoint = c.Entrypoint;
  if (c.Cmd) out.Cmd = c.Cmd;
  if (c.Env) out.Env = c.Env;
  if (c.WorkingDir) out.WorkingDir = c.WorkingDir;
  if (c.User) out.User = c.User;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  return out;
}

/** Copies a layout blob into `sink`, failing after the last byte when it is not what `desc` names. */
async function copyVerified(path: string, desc: Descriptor, sink: Writable): Promise<void> {
  const alg = desc.digest.slice(0, desc.digest.indexOf(':'));
  const hash = createHash(alg);
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    await writeOrThrow(sink, chunk);
  }
  const got = `${alg}:${hash.digest('hex')}`;
  if (got !== desc.digest || size !== desc.size) throw new Error(`${path}: content (${size} bytes) hashes to ${got}, not ${desc.digest}`);
}
