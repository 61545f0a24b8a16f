/**
 * The OCI distribution client of image verification and of the node agent's pulls: tag to digest
 * (manifest HEAD, GET when the registry does not say), manifests and blobs re-hashed against their
 * digests, image indexes narrowed to one platform, OCI 1.1 referrers with the tag-schema fallback.
 * Every lookup has a deadline and a size cap, and identical lookups in flight share one fetch.
 */
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { ImagePolicyError } from '../errors.ts';
import { parseDigest, referenceString, type ImageReference } from '../reference.ts';
import { sha256Digest, verifyDigest } from './digest.ts';
import { readCapped, type HttpResponse } from './http.ts';
import { MANIFEST_ACCEPT, OCI_INDEX, isImageManifest, isIndex, type Descriptor, type ImageIndex, type ImageManifest, type Platform } from './media-types.ts';
import { SingleFlight, abandonable, identityKey } from './singleflight.ts';
import { checkManifestShape } from './manifest-shape.ts';
import { RegistryTransport, headerValue, type RegistryTransportOptions } from './transport.ts';
import type { CredentialKeyring } from './credentials.ts';
import { checkStatus, repoOf, withDeadline } from './status.ts';
import { writeOrThrow } from '../../util/drained.ts';

export interface RegistryClientOptions extends RegistryTransportOptions {
  /** Deadline of one lookup (resolve, manifest, referrers), default 10 s. */
  deadlineMs?: number;
  /** Deadline of one blob download, default 10 min. */
  blobDeadlineMs?: number;
  /** Largest manifest or index read, default 4 MiB (the distribution spec's recommended limit). */
  maxManifestBytes?: number;
  /** Largest blob read into memory by getBlob, default 64 MiB (streamBlob takes the descriptor's size). */
  maxBlobBytes?: number;
  /** The platform picked from an image index, default linux/amd64. */
  platform?: Platform;
}

export interface LookupOptions {
  /** Credentials of this lookup (the pod's imagePullSecrets); the client's default otherwise. */
  keyring?: CredentialKeyring;
  signal?: AbortSignal;
}

export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
  json: ImageManifest | ImageIndex;
}

export interface ResolvedImage {
  /** The digest the reference names (an index for multi-arch images). */
  digest: string;
  mediaType: string;
  /** The image manifest for the platform, and its digest. */
  manifestDigest: string;
  manifest: ImageManifest;
}

const MAX_ERROR_BODY = 64 * 1024;

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: not valid JSON`);
  }
}

export class RegistryClient {
  readonly transport: RegistryTransport;
  private readonly deadlineMs: number;
  private readonly blobDeadlineMs: number;
  private readonly maxManifestBytes: number;
  private readonly maxBlobBytes: number;
  private readonly platform: Platform;
  private readonly flights = new SingleFlight<unknown>();

  constructor(o: RegistryClientOptions = {}) {
    this.transport = new RegistryTransport(o);
    this.deadlineMs = o.deadlineMs ?? 10_000;
    this.blobDeadlineMs = o.blobDeadlineMs ?? 600_000;
    this.maxManifestBytes = o.maxManifestBytes ?? 4 * 1024 * 1024;
    this.maxBlobBytes = o.maxBlobBytes ?? 64 * 1024 * 1024;
    this.platform = o.platform ?? { os: 'linux', architecture: 'amd64' };
    for (const [name, v] of Object.entries({ deadlineMs: this.deadlineMs, blobDeadlineMs: this.blobDeadlineMs, maxManifestBytes: this.maxManifestBytes, maxBlobBytes: this.maxBlobBytes })) {
      if (!Number.isFinite(v) || v <= 0) throw new Error(`registry client: ${name} must be a positive number, got ${v}`);
    }
  }

  close(): void {
    this.transport.close();
  }

  /**
   * Identical lookups in flight share one execution, which runs under its own deadline only: one
   * caller giving up (its signal) stops its own wait, not the fetch the others wait for.
   */
  private shared<T>(key: string, o: LookupOptions, fn: () => Promise<T>): Promise<T> {
    // Keyrings are compared by identity: two pods' secrets never share a fetch.
    const who = o.keyring ? identityKey(o.keyring) : 'default';
    const flight = this.flights.do(`${key}|${who}`, fn) as Promise<T>;
    return o.signal ? abandonable(flight, o.signal) : flight;
  }

  private async manifestCall(ref: ImageReference, method: 'GET' | 'HEAD', signal: AbortSignal, o: LookupOptions): Promise<HttpResponse> {
    const id = ref.digest ?? ref.tag ?? 'latest';
    const res = await this.transport.call({
      domain: ref.domain, repo: ref.path, actions: ['pull'], method, path: `/v2/${ref.path}/manifests/${id}`,
      headers: { accept: MANIFEST_ACCEPT }, signal, keyring: o.keyring,
    });
    await checkStatus(res, [200], referenceString(ref), signal, MAX_ERROR_BODY);
    return res;
  }

  /**
   * GET /v2/ with the client's credentials: resolves with the API version the registry announces
   * when it answers 200; a registry that refuses the credentials is IMAGE_NOT_FOUND (pull access
   * denied), one that does not answer as a v2 registry REGISTRY_UNAVAILABLE.
   */
  ping(domain: string, o: LookupOptions = {}): Promise<{ apiVersion: string | undefined }> {
    return this.shared(`ping|${domain}`, o, () =>
      withDeadline(this.deadlineMs, undefined, async (signal) => {
        const res = await this.transport.call({ domain, repo: '', actions: ['pull'], method: 'GET', path: '/v2/', signal, keyring: o.keyring });
        await checkStatus(res, [200], `${domain}/v2/`, signal, MAX_ERROR_BODY);
        res.body.resume();
        return { apiVersion: headerValue(res.headers['docker-distribution-api-version']) };
      }),
    );
  }

  /** Tag (or digest) to the descriptor of what it names; HEAD first, as containerd's resolver. */
  resolve(ref: ImageReference, o: LookupOptions = {}): Promise<Descriptor> {
    return this.shared(`resolve|${referenceString(ref)}`, o, () =>
      withDeadline(this.deadlineMs, undefined, async (signal) => {
        if (ref.digest === undefined) {
          const res = await this.manifestCall(ref, 'HEAD', signal, o);
          res.body.resume();
          const digest = announcedDigest(res, referenceString(ref));
          const mediaType = headerValue(res.headers['content-type'])?.split(';')[0]?.trim();
          const size = Number(res.headers['content-length']);
          if (digest && mediaType && Number.isFinite(size)) {
            if (size > this.maxManifestBytes) throw new ImagePolicyError('OVERSIZE', `${referenceString(ref)}: manifest of ${size} bytes exceeds the limit of ${this.maxManifestBytes} bytes`);
            return { digest, mediaType, size };
          }
        }
        return (await this.fetchManifest(ref, signal, o)).descriptor;
      }),
    );
  }

  /** The manifest or index a reference names, verified against its digest. */
  getManifest(ref: ImageReference, o: LookupOptions = {}): Promise<FetchedManifest> {
    return this.shared(`manifest|${referenceString(ref)}`, o, () => withDeadline(this.deadlineMs, undefined, (signal) => this.fetchManifest(ref, signal, o)));
  }

  private async fetchManifest(ref: ImageReference, signal: AbortSignal, o: LookupOptions): Promise<FetchedManifest> {
    const what = `${referenceString(ref)}: manifest`;
    const res = await this.manifestCall(ref, 'GET', signal, o);
    const bytes = await readCapped(res, this.maxManifestBytes, what, signal).catch(rethrowUnavailable(what));
    const announced = announcedDigest(res, what);
    // By digest the content must hash to it; by tag, to the digest the registry announced.
    const expected = ref.digest ?? announced;
    if (expected) verifyDigest(bytes, expected, what);
    const digest = expected ?? sha256Digest(bytes);
    const json = parseJson<ImageManifest | ImageIndex>(bytes, what);
    const mediaType = json.mediaType ?? headerValue(res.headers['content-type'])?.split(';')[0]?.trim() ?? '';
    if (!isIndex(mediaType) && !isImageManifest(mediaType)) {
      throw new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: unsupported media type ${JSON.stringify(mediaType)}`);
    }
    checkManifestShape(json, mediaType, what);
    return { descriptor: { mediaType, digest, size: bytes.length }, bytes, json };
  }

  /**
   * The image a reference runs: its digest, and for an index the platform's manifest (the
   * client's platform: linux/amd64 unless configured), each verified.
   */
  async resolveImage(ref: ImageReference, o: LookupOptions = {}): Promise<ResolvedImage> {
    const top = await this.getManifest(ref, o);
    if (isImageManifest(top.descriptor.mediaType)) {
      return { digest: top.descriptor.digest, mediaType: top.descriptor.mediaType, manifestDigest: top.descriptor.digest, manifest: top.json as ImageManifest };
    }
    const entry = selectPlatform(top.json as ImageIndex, this.platform);
    if (!entry) {
      const p = `${this.platform.os}/${this.platform.architecture}${this.platform.variant ? `/${this.platform.variant}` : ''}`;
      throw new ImagePolicyError('IMAGE_NOT_FOUND', `${referenceString(ref)}: no matching manifest for ${p} in the manifest list entries`);
    }
    const child = await this.getManifest({ domain: ref.domain, path: ref.path, digest: entry.digest }, o);
    if (!isImageManifest(child.descriptor.mediaType)) throw new ImagePolicyError('IMAGE_NOT_FOUND', `${referenceString(ref)}: the ${entry.digest} entry is not an image manifest`);
    return { digest: top.descriptor.digest, mediaType: top.descriptor.mediaType, manifestDigest: entry.digest, manifest: child.json as ImageManifest };
  }

  private async openBlob(ref: ImageReference, digest: string, signal: AbortSignal, o: LookupOptions): Promise<HttpResponse> {
    // The digest goes into the request path: only a well-formed one does.
    parseDigest(digest);
    const res = await this.transport.call({ domain: ref.domain, repo: ref.path, actions: ['pull'], method: 'GET', path: `/v2/${ref.path}/blobs/${digest}`, signal, keyring: o.keyring });
    await checkStatus(res, [200], `${repoOf(ref)}@${digest}`, signal, MAX_ERROR_BODY);
    return res;
  }

  /** A small blob (a config, a signature payload) read whole, capped and verified. */
  getBlob(ref: ImageReference, desc: Pick<Descriptor, 'digest'> & { size?: number }, o: LookupOptions = {}): Promise<Buffer> {
    return this.shared(`blob|${repoOf(ref)}|${desc.digest}`, o, () =>
      withDeadline(this.deadlineMs, undefined, async (signal) => {
        const what = `${repoOf(ref)}@${desc.digest}`;
        const cap = Math.min(desc.size ?? this.maxBlobBytes, this.maxBlobBytes);
        if (desc.size !== undefined && desc.size > this.maxBlobBytes) throw new ImagePolicyError('OVERSIZE', `${what}: ${desc.size} bytes exceeds the limit of ${this.maxBlobBytes} bytes`);
        const res = await this.openBlob(ref, desc.digest, signal, o);
        let bytes: Buffer;
        try {
          bytes = await readCapped(res, cap, what, signal);
        } catch (err) {
          // More bytes than the descriptor declares is not the blob it names.
          if (desc.size !== undefined && err instanceof ImagePolicyError && err.code === 'OVERSIZE') throw new ImagePolicyError('DIGEST_MISMATCH', `${what}: more than the ${desc.size} bytes its descriptor declares`);
          throw rethrowUnavailable(what)(err);
        }
        verifyDigest(bytes, desc.digest, what);
        return bytes;
      }),
    );
  }

  /**
   * A layer streamed into `sink` while hashed; the promise rejects DIGEST_MISMATCH after the last
   * byte if the content is not what the digest names, so the caller must not use what it wrote
   * before the promise resolves (write to a temporary name, rename after).
   */
  async streamBlob(ref: ImageReference, desc: Descriptor, sink: Writable, o: LookupOptions = {}): Promise<void> {
    const what = `${repoOf(ref)}@${desc.digest}`;
    await withDeadline(this.blobDeadlineMs, o.signal, async (signal) => {
      const res = await this.openBlob(ref, desc.digest, signal, o);
      const hash = createHash(desc.digest.slice(0, desc.digest.indexOf(':')));
      let size = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > desc.size) {
            res.body.destroy();
            throw new ImagePolicyError('DIGEST_MISMATCH', `${what}: more than the ${desc.size} bytes its descriptor declares`);
          }
          hash.update(chunk);
          await writeOrThrow(sink, chunk);
        }
      } catch (err) {
        throw rethrowUnavailable(what)(err);
      }
      const got = `${desc.digest.slice(0, desc.digest.indexOf(':'))}:${hash.digest('hex')}`;
      if (size !== desc.size || got !== desc.digest) throw new ImagePolicyError('DIGEST_MISMATCH', `${what}: content (${size} bytes) hashes to ${got}`);
    });
  }

  /**
   * Manifests that refer to `subject` (OCI 1.1 referrers API), optionally of one artifact type;
   * registries without the API are read through the `sha256-<hex>` tag schema.
   */
  referrers(ref: ImageReference, subject: string, artifactType?: string, o: LookupOptions = {}): Promise<Descriptor[]> {
    return this.shared(`referrers|${repoOf(ref)}|${subject}|${artifactType ?? ''}`, o, () =>
      withDeadline(this.deadlineMs, undefined, async (signal) => {
        const q = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
        const res = await this.transport.call({ domain: ref.domain, repo: ref.path, actions: ['pull'], method: 'GET', path: `/v2/${ref.path}/referrers/${subject}${q}`, headers: { accept: OCI_INDEX }, signal, keyring: o.keyring });
        let index: ImageIndex | undefined;
        const contentType = headerValue(res.headers['content-type'])?.split(';')[0]?.trim();
        if (res.status === 200 && contentType === OCI_INDEX) {
          index = parseJson<ImageIndex>(await readCapped(res, this.maxManifestBytes, `${repoOf(ref)} referrers`, signal).catch(rethrowUnavailable('referrers')), 'referrers');
        } else if (res.status === 404 || res.status === 200) {
          res.body.destroy();
          index = await this.fallbackReferrers(ref, subject, signal, o);
        } else {
          await checkStatus(res, [200], `${repoOf(ref)} referrers`, signal, MAX_ERROR_BODY);
        }
        const all = index?.manifests ?? [];
        return artifactType ? all.filter((d) => d.artifactType === artifactType) : all;
      }),
    );
  }

  private async fallbackReferrers(ref: ImageReference, subject: string, signal: AbortSignal, o: LookupOptions): Promise<ImageIndex | undefined> {
    const tagRef = { domain: ref.domain, path: ref.path, tag: subject.replace(':', '-') };
    try {
      const m = await this.fetchManifest(tagRef, signal, o);
      return isIndex(m.descriptor.mediaType) ? (m.json as ImageIndex) : undefined;
    } catch (err) {
      if (err instanceof ImagePolicyError && err.code === 'IMAGE_NOT_FOUND') return undefined;
      throw err;
    }
  }
}

/** The index entry for a platform: exact os/architecture, and the variant when one is asked for. */
export function selectPlatform(index: ImageIndex, p: Platform): Descriptor | undefined {
  const candidates = (index.manifests ?? []).filter((d) => d.platform?.os === p.os && d.platform.architecture === p.architecture);
  if (p.variant) return candidates.find((d) => d.platform?.variant === p.variant) ?? candidates.find((d) => !d.platform?.variant);
  return candidates[0];
}

/** The Docker-Content-Digest a registry announced, refused unless well-formed (it ends up in paths and tags). */
function announcedDigest(res: HttpResponse, what: string): string | undefined {
  const v = headerValue(res.headers['docker-content-digest']);
  if (v === undefined || v === '') return undefined;
  try {
    return parseDigest(v);
  } catch (err) {
    res.body.destroy();
    throw new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: the registry announced a malformed digest ${JSON.stringify(v.slice(0, 100))}: ${(err as Error).message}`);
  }
}

function rethrowUnavailable(what: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof ImagePolicyError) throw err;
    throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `${what}: ${(err as Error).message}`, { cause: err });
  };
}
