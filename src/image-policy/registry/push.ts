/**
 * Uploads (distribution spec "push"): a blob is skipped when the registry has it, mounted from
 * another repository when one is named, else sent in one PUT (monolithic) or, past the chunk size,
 * as PATCHes with Content-Range then a closing PUT; manifests are PUT under a tag or a digest.
 */
import { ImagePolicyError } from '../errors.ts';
import { referenceString, type ImageReference } from '../reference.ts';
import { discard } from './http.ts';
import { sha256Digest } from './digest.ts';
import type { CredentialKeyring } from './credentials.ts';
import type { Descriptor } from './media-types.ts';
import { checkStatus, repoOf, withDeadline } from './status.ts';
import { headerValue, type RegistryTransport } from './transport.ts';

/** Where a blob's bytes come from: a buffer, or a file read a piece at a time. */
export interface BlobSource {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export function bufferSource(b: Buffer): BlobSource {
  return { size: b.length, read: async (offset, length) => b.subarray(offset, offset + length) };
}

export interface PusherOptions {
  keyring?: CredentialKeyring;
  /** Blobs larger than this go up in chunks of this size (default 16 MiB). */
  chunkBytes?: number;
  /** Deadline of one blob or manifest upload (default 10 min). */
  deadlineMs?: number;
}

const MAX_ERROR_BODY = 64 * 1024;

export class RegistryPusher {
  private readonly transport: RegistryTransport;
  private readonly o: PusherOptions;
  private readonly chunkBytes: number;
  private readonly deadlineMs: number;

  constructor(transport: RegistryTransport, o: PusherOptions = {}) {
    this.transport = transport;
    this.o = o;
    this.chunkBytes = o.chunkBytes ?? 16 * 1024 * 1024;
    this.deadlineMs = o.deadlineMs ?? 600_000;
    if (!(this.chunkBytes > 0)) throw new Error('chunkBytes must be positive');
  }

  private call(ref: ImageReference, signal: AbortSignal, c: { method: 'HEAD' | 'POST' | 'PUT' | 'PATCH'; path: string; headers?: Record<string, string>; body?: Buffer; extraScopes?: string[] }) {
    return this.transport.call({ domain: ref.domain, repo: ref.path, actions: ['pull', 'push'], signal, keyring: this.o.keyring, ...c });
  }

  /** Whether the repository already has the blob. */
  async hasBlob(ref: ImageReference, digest: string): Promise<boolean> {
    return withDeadline(this.deadlineMs, undefined, async (signal) => {
      const res = await this.call(ref, signal, { method: 'HEAD', path: `/v2/${ref.path}/blobs/${digest}` });
      discard(res);
      if (res.status === 200) return true;
      if (res.status === 404) return false;
      await checkStatus(res, [200], `${repoOf(ref)}@${digest}`, signal, MAX_ERROR_BODY, 'push');
      return false;
    });
  }

  /**
   * Uploads one blob unless the registry has it; returns how it got there. `mountFrom` names a
   * repository of the same registry that holds it.
   */
  async pushBlob(ref: ImageReference, desc: Pick<Descriptor, 'digest' | 'size'>, src: BlobSource, mountFrom?: string): Promise<'exists' | 'mounted' | 'uploaded'> {
    if (src.size !== desc.size) throw new Error(`blob ${desc.digest}: source has ${src.size} bytes, descriptor says ${desc.size}`);
    if (await this.hasBlob(ref, desc.digest)) return 'exists';
    return withDeadline(this.deadlineMs, undefined, async (signal) => {
      const what = `${repoOf(ref)}@${desc.digest}`;
      const q = mountFrom ? `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(mountFrom)}` : '';
      const extraScopes = mountFrom ? [`repository:${mountFrom}:pull`] : undefined;
      const start = await this.call(ref, signal, { method: 'POST', path: `/v2/${ref.path}/blobs/uploads/${q}`, extraScopes });
      if (start.status === 201 && mountFrom) {
        discard(start);
        return 'mounted';
      }
      await checkStatus(start, [202], `${what}: starting upload`, signal, MAX_ERROR_BODY, 'push');
      discard(start);
      let location = this.location(start.headers.location, what);
      if (src.size > this.chunkBytes) {
        for (let offset = 0; offset < src.size; offset += this.chunkBytes) {
          const chunk = await src.read(offset, Math.min(this.chunkBytes, src.size - offset));
          const res = await this.call(ref, signal, {
            method: 'PATCH', path: location, body: chunk,
            headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
          });
          await checkStatus(res, [202], `${what}: uploading bytes ${offset}+`, signal, MAX_ERROR_BODY, 'push');
          discard(res);
          location = this.location(res.headers.location, what);
        }
        const done = await this.call(ref, signal, { method: 'PUT', path: withDigest(location, desc.digest), headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(0) });
        await checkStatus(done, [201], `${what}: closing upload`, signal, MAX_ERROR_BODY, 'push');
        discard(done);
      } else {
        const body = await src.read(0, src.size);
        const done = await this.call(ref, signal, { method: 'PUT', path: withDigest(location, desc.digest), headers: { 'content-type': 'application/octet-stream' }, body });
        await checkStatus(done, [201], `${what}: upload`, signal, MAX_ERROR_BODY, 'push');
        discard(done);
      }
      return 'uploaded';
    });
  }

  /** PUTs a manifest under the reference's tag (or its digest); returns the manifest's digest. */
  async pushManifest(ref: ImageReference, mediaType: string, bytes: Buffer): Promise<string> {
    const digest = sha256Digest(bytes);
    const id = ref.tag ?? ref.digest ?? digest;
    if (ref.digest !== undefined && ref.digest !== digest) throw new ImagePolicyError('DIGEST_MISMATCH', `${referenceString(ref)}: manifest hashes to ${digest}`);
    return withDeadline(this.deadlineMs, undefined, async (signal) => {
      const res = await this.call(ref, signal, { method: 'PUT', path: `/v2/${ref.path}/manifests/${id}`, headers: { 'content-type': mediaType }, body: bytes });
      await checkStatus(res, [201], `${repoOf(ref)}:${id}: manifest upload`, signal, MAX_ERROR_BODY, 'push');
      discard(res);
      const announced = headerValue(res.headers['docker-content-digest']);
      if (announced && announced !== digest) throw new ImagePolicyError('DIGEST_MISMATCH', `${repoOf(ref)}:${id}: registry stored the manifest as ${announced}, expected ${digest}`);
      return digest;
    });
  }

  private location(v: string | undefined, what: string): string {
    if (!v) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `${what}: upload answer without a Location`);
    return v;
  }
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}
