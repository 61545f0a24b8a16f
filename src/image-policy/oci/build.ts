/**
 * `portcullis image build`: a minimal OCI image from a directory: one gzip tar layer of the
 * directory (portable headers, fixed mtime, so the same tree gives the same digest), a config with
 * Entrypoint/Cmd/User/Env/WorkingDir, and an image manifest, written into an OCI layout directory.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, lstatSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { create as createTar } from 'tar';
import { OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST, type Descriptor, type ImageManifest, type Platform } from '../registry/media-types.ts';
import { REF_NAME_ANNOTATION, blobPath, writeBlob, writeIndex } from './layout.ts';

export interface ImageConfigOptions {
  entrypoint?: string[];
  cmd?: string[];
  user?: string;
  /** KEY=VALUE; PATH gets the usual default unless given. */
  env?: string[];
  workingDir?: string;
}

export interface BuildOptions extends ImageConfigOptions {
  /** The directory that becomes the image's root filesystem. */
  contextDir: string;
  /** The OCI layout directory written. */
  outputDir: string;
  /** Recorded as the manifest's ref name in index.json (a tag). */
  refName?: string;
  platform?: Platform;
}

export interface BuiltImage {
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
  diffId: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// A fixed timestamp for every entry: the digest depends on the content only.
const EPOCH = new Date(0);

class HashingStream extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

/** Writes the layer blob; returns its descriptor and the diff ID (digest of the plain tar). */
async function writeLayer(contextDir: string, outputDir: string): Promise<{ layer: Descriptor; diffId: string }> {
  if (!statSync(contextDir).isDirectory()) throw new Error(`${contextDir} is not a directory`);
  mkdirSync(join(outputDir, 'blobs', 'sha256'), { recursive: true });
  const entries = readdirSync(contextDir).sort();
  const tmp = join(outputDir, 'blobs', 'sha256', `.layer-${process.pid}.tmp`);
  const plain = new HashingStream();
  const gz = new HashingStream();
  // portable: no uid/gid/uname, atime or ctime (root-owned entries, the same tree gives the same bytes);
  // but node-tar's portable mode also clears group/other write bits (0o022), which would turn /tmp's
  // 1777 into 1755: each entry gets its file's own permission bits back, as docker build keeps them.
  const onWriteEntry = (e: { absolute?: string; mode?: number }) => {
    if (e.absolute && e.mode !== undefined) e.mode = lstatSync(e.absolute).mode & 0o7777;
  };
  const tar = createTar({ cwd: contextDir, portable: true, mtime: EPOCH, onWriteEntry } as never, entries) as unknown as NodeJS.ReadableStream;
  await pipeline(tar, plain, createGzip(), gz, createWriteStream(tmp));
  const digest = `sha256:${gz.hash.digest('hex')}`;
  renameSync(tmp, blobPath(outputDir, digest));
  return { layer: { mediaType: OCI_LAYER_GZIP, digest, size: gz.size }, diffId: `sha256:${plain.hash.digest('hex')}` };
}

export function imageConfig(o: ImageConfigOptions, diffIds: string[], platform: Platform): object {
  const env = o.env ?? [];
  const config: Record<string, unknown> = { Env: env.some((e) => e.startsWith('PATH=')) ? env : [DEFAULT_PATH, ...env] };
  if (o.entrypoint?.length) config['Entrypoint'] = o.entrypoint;
  if (o.cmd?.length) config['Cmd'] = o.cmd;
  if (o.user) config['User'] = o.user;
  if (o.workingDir) config['WorkingDir'] = o.workingDir;
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [{ created: EPOCH.toISOString(), created_by: 'portcullis image build' }],
  };
}

export async function buildImage(o: BuildOptions): Promise<BuiltImage> {
  for (const e of o.env ?? []) if (!e.includes('=')) throw new Error(`--env ${JSON.stringify(e)}: want KEY=VALUE`);
  const platform = o.platform ?? { os: 'linux', architecture: 'amd64' };
  const { layer, diffId } = await writeLayer(o.contextDir, o.outputDir);
  const configBytes = Buffer.from(JSON.stringify(imageConfig(o, [diffId], platform)));
  const config: Descriptor = { mediaType: OCI_CONFIG, digest: writeBlob(o.outputDir, configBytes), size: configBytes.length };
  const manifestJson: ImageManifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] };
  const manifestBytes = Buffer.from(JSON.stringify(manifestJson));
  const manifest: Descriptor = {
    mediaType: OCI_MANIFEST,
    digest: writeBlob(o.outputDir, manifestBytes),
    size: manifestBytes.length,
    ...(o.refName ? { annotations: { [REF_NAME_ANNOTATION]: o.refName } } : {}),
  };
  writeIndex(o.outputDir, [manifest]);
  return { manifest, config, layer, diffId };
}
