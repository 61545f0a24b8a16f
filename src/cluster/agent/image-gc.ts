/**
 * Image garbage collection as the kubelet's realImageGCManager (pkg/kubelet/images/image_gc_manager.go):
 * when the image file system's usage reaches HighThresholdPercent (85), images no container uses —
 * least recently used first, then first detected — are removed until usage is back under
 * LowThresholdPercent (80); an image first seen less than MinAge (2 min) ago is kept, as is every
 * image a container (running or exited) still references. When not enough can be freed the node gets
 * upstream's FreeDiskSpaceFailed event; a zero-capacity file system, InvalidDiskCapacity. The first
 * detection treats images already present as old (the kubelet records them at the zero time).
 * Bookkeeping is one record per image on disk (bounded by the store, not by clients).
 */
import type { ContainerRuntime } from './runtime/types.ts';

export interface ImageGcPolicy {
  /** Usage percentage at or above which GC runs (kubelet --image-gc-high-threshold, 85). */
  highThresholdPercent: number;
  /** Usage percentage GC frees down to (kubelet --image-gc-low-threshold, 80). */
  lowThresholdPercent: number;
  /** Images detected more recently than this are never removed (kubelet --minimum-image-ttl-duration, 2m). */
  minAgeMs: number;
}

export const DEFAULT_IMAGE_GC_POLICY: Readonly<ImageGcPolicy> = Object.freeze({ highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000 });

/** kubelet's ValidateKubeletConfiguration rules for the two thresholds. */
export function imageGcPolicyError(p: ImageGcPolicy): string | undefined {
  if (!(p.highThresholdPercent >= 0 && p.highThresholdPercent <= 100)) return `invalid configuration: imageGCHighThresholdPercent (--image-gc-high-threshold) ${p.highThresholdPercent} must be between 0 and 100, inclusive`;
  if (!(p.lowThresholdPercent >= 0 && p.lowThresholdPercent <= 100)) return `invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) ${p.lowThresholdPercent} must be between 0 and 100, inclusive`;
  if (p.lowThresholdPercent >= p.highThresholdPercent) return `invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) ${p.lowThresholdPercent} must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) ${p.highThresholdPercent}`;
  if (!(p.minAgeMs >= 0)) return `invalid configuration: minimum image TTL ${p.minAgeMs} ms must not be negative`;
  return undefined;
}

export interface GcImage {
  digest: string;
  sizeBytes: number;
}

export interface GcImageStore {
  listImages(): Promise<GcImage[]>;
  removeImage(digest: string): Promise<void>;
}

export interface FsStats {
  capacityBytes: number;
  availableBytes: number;
}

export interface ImageGcDeps {
  images: GcImageStore;
  runtime: Pick<ContainerRuntime, 'list'>;
  /** The file system holding the images. */
  fsStats(): Promise<FsStats>;
  policy?: Partial<ImageGcPolicy>;
  now: () => number;
  /** A Warning event on the Node (FreeDiskSpaceFailed, InvalidDiskCapacity). */
  warn(reason: string, message: string): void;
  log: { info(o: object, m: string): void };
}

interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
  sizeBytes: number;
}

export interface GcResult {
  usagePercent: number;
  freedBytes: number;
  removed: string[];
}

export class ImageGcManager {
  readonly policy: ImageGcPolicy;
  readonly #d: ImageGcDeps;
  readonly #records = new Map<string, ImageRecord>();
  #detectedOnce = false;

  constructor(d: ImageGcDeps) {
    this.#d = d;
    this.policy = { ...DEFAULT_IMAGE_GC_POLICY, ...d.policy };
    const bad = imageGcPolicyError(this.policy);
    if (bad) throw new Error(bad);
  }

  /** detectImages: records new images and marks those in use; returns the digests in use. */
  async detect(): Promise<Set<string>> {
    const now = this.#d.now();
    // The first detection dates what is already on disk at the zero time, as the kubelet's Start().
    const detectedAt = this.#detectedOnce ? now : 0;
    const [images, { containers }] = await Promise.all([this.#d.images.listImages(), this.#d.runtime.list()]);
    const inUse = new Set(containers.map((c) => c.imageDigest).filter(Boolean));
    const present = new Set<string>();
    for (const img of images) {
      present.add(img.digest);
      const r = this.#records.get(img.digest) ?? { firstDetected: detectedAt, lastUsed: 0, sizeBytes: img.sizeBytes };
      r.sizeBytes = img.sizeBytes;
      if (inUse.has(img.digest)) r.lastUsed = now;
      this.#records.set(img.digest, r);
    }
    for (const d of [...this.#records.keys()]) if (!present.has(d)) this.#records.delete(d);
    this.#detectedOnce = true;
    return inUse;
  }

  /** GarbageCollect: frees space down to the low threshold when usage reached the high one. */
  async garbageCollect(): Promise<GcResult> {
    const fs = await this.#d.fsStats();
    const capacity = fs.capacityBytes;
    const available = Math.min(fs.availableBytes, capacity);
    if (capacity <= 0) {
      const msg = 'invalid capacity 0 on image filesystem';
      this.#d.warn('InvalidDiskCapacity', msg);
      throw new Error(msg);
    }
    const usagePercent = 100 - Math.trunc((available * 100) / capacity);
    if (usagePercent < this.policy.highThresholdPercent) {
      await this.detect();
      return { usagePercent, freedBytes: 0, removed: [] };
    }
    const amountToFree = Math.trunc((capacity * (100 - this.policy.lowThresholdPercent)) / 100) - available;
    this.#d.log.info({ usage: usagePercent, highThreshold: this.policy.highThresholdPercent, amountToFree, lowThreshold: this.policy.lowThresholdPercent }, 'Disk usage on image filesystem is over the high threshold, trying to free bytes down to the low threshold');
    const { freed, removed } = await this.#freeSpace(amountToFree);
    if (freed < amountToFree) {
      const msg = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${freed} bytes eligible to free.`;
      this.#d.warn('FreeDiskSpaceFailed', msg);
      throw new Error(msg);
    }
    return { usagePercent, freedBytes: freed, removed };
  }

  /** DeleteUnusedImages (the eviction manager's node-level reclaim under disk pressure): every unused image old enough to go. */
  async deleteUnusedImages(): Promise<{ freed: number; removed: string[] }> {
    return this.#freeSpace(Number.POSITIVE_INFINITY);
  }

  async #freeSpace(bytesToFree: number): Promise<{ freed: number; removed: string[] }> {
    const inUse = await this.detect();
    const freeTime = this.#d.now();
    const candidates = [...this.#records.entries()]
      .filter(([digest]) => !inUse.has(digest))
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
    let freed = 0;
    const removed: string[] = [];
    for (const [digest, r] of candidates) {
      if (freed >= bytesToFree) break;
      // Too young to go: it may be about to be used (a pull just finished).
      if (freeTime - r.firstDetected < this.policy.minAgeMs) continue;
      this.#d.log.info({ imageID: digest, size: r.sizeBytes }, 'Removing image to free bytes');
      await this.#d.images.removeImage(digest);
      this.#records.delete(digest);
      removed.push(digest);
      freed += r.sizeBytes;
    }
    return { freed, removed };
  }
}
