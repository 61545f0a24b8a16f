/**
 * The files behind KEP-2535's pull records, in the kubelet's layout and format
 * (pkg/kubelet/images/pullmanager fs_pullrecords.go) under the image store's root:
 *   image_manager/pulling/sha256-<sha256 of the image>    ImagePullIntent: a pull of that image is under way
 *   image_manager/pulled/sha256-<sha256 of the imageRef>  ImagePulledRecord: the image was pulled, and with what
 * Each is written under a temporary name, synced, then renamed into place (writeFileAtomic), so a
 * crash leaves the old file or the new one. A file that cannot be read or parsed, or is larger than
 * any record we write, is reported as unreadable: the caller fails safe (the pod's credentials are
 * checked).
 *
 * Reads are synchronous (a few hundred bytes from the agent's own state directory, once per
 * container start): see state-files.ts for the cost of a promise read.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../pki/write-file-atomic.ts';

const API_VERSION = 'kubelet.config.k8s.io/v1beta1';
/** Far above any record we write (the per-record bounds are in image-pull-manager.ts). */
const MAX_FILE_BYTES = 1 << 20;

export interface PullSecretCoordinates {
  uid: string;
  namespace: string;
  name: string;
  /** sha256 of the credential the Secret gave for the image (upstream's AuthConfigHash). */
  credentialHash: string;
}

/** Who may use the image: the pull Secrets that pulled it, or every pod on the node (an anonymous pull). */
export interface PullCredentials {
  kubernetesSecrets?: PullSecretCoordinates[];
  nodePodsAccessible?: boolean;
}

export interface PulledRecord {
  lastUpdatedTime: string;
  imageRef: string;
  /** Keyed by the image name without tag or digest (docker.io/library/busybox). */
  credentialMapping: Record<string, PullCredentials>;
}

/** A record file that exists but cannot be used. */
export const UNREADABLE = Symbol('unreadable');

export function cacheFilename(key: string): string {
  return `sha256-${createHash('sha256').update(key).digest('hex')}`;
}

function writeRecordFile(dir: string, name: string, value: object): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(join(dir, name), JSON.stringify(value), 0o600);
}

/** The parsed file, undefined when absent, UNREADABLE when it exists but is no record. */
function readRecordFile(path: string): Record<string, unknown> | undefined | typeof UNREADABLE {
  try {
    // No exception for the common absent file (an image nobody pulled, an intent not written): a throw costs more than the read.
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return undefined;
    if (st.size > MAX_FILE_BYTES) return UNREADABLE;
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : UNREADABLE;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : UNREADABLE;
  }
}

function recordFiles(dir: string): string[] {
  try {
    // Not a write's temporary file (<name>.tmp-<random>; a crash can leave one).
    return readdirSync(dir).filter((n) => n.startsWith('sha256-') && !n.includes('.tmp'));
  } catch {
    return [];
  }
}

function isCredentials(v: unknown): v is PullCredentials {
  if (!v || typeof v !== 'object') return false;
  const c = v as PullCredentials;
  if (c.nodePodsAccessible !== undefined && typeof c.nodePodsAccessible !== 'boolean') return false;
  if (c.kubernetesSecrets === undefined) return true;
  return Array.isArray(c.kubernetesSecrets) && c.kubernetesSecrets.every((s) => s && ['uid', 'namespace', 'name', 'credentialHash'].every((k) => typeof (s as unknown as Record<string, unknown>)[k] === 'string'));
}

function asPulledRecord(v: Record<string, unknown>): PulledRecord | typeof UNREADABLE {
  const mapping = v.credentialMapping ?? {};
  if (v.kind !== 'ImagePulledRecord' || typeof v.imageRef !== 'string' || typeof mapping !== 'object' || Array.isArray(mapping)) return UNREADABLE;
  if (!Object.values(mapping as object).every(isCredentials)) return UNREADABLE;
  return { lastUpdatedTime: String(v.lastUpdatedTime ?? ''), imageRef: v.imageRef, credentialMapping: mapping as Record<string, PullCredentials> };
}

export class PullRecordFiles {
  readonly pullingDir: string;
  readonly pulledDir: string;

  constructor(root: string) {
    this.pullingDir = join(root, 'image_manager', 'pulling');
    this.pulledDir = join(root, 'image_manager', 'pulled');
  }

  writeIntent(image: string): void {
    writeRecordFile(this.pullingDir, cacheFilename(image), { kind: 'ImagePullIntent', apiVersion: API_VERSION, image });
  }

  /** A readable intent for exactly this image (a file for another image under a colliding name is not one). */
  intentExists(image: string): boolean | typeof UNREADABLE {
    const v = readRecordFile(join(this.pullingDir, cacheFilename(image)));
    if (v === undefined || v === UNREADABLE) return v === UNREADABLE ? UNREADABLE : false;
    return v.kind === 'ImagePullIntent' && v.image === image;
  }

  deleteIntent(image: string): void {
    rmSync(join(this.pullingDir, cacheFilename(image)), { force: true });
  }

  /** The images of every readable intent (an agent restarted mid-pull left them). */
  listIntents(): string[] {
    const out: string[] = [];
    for (const n of recordFiles(this.pullingDir)) {
      const v = readRecordFile(join(this.pullingDir, n));
      if (v && v !== UNREADABLE && v.kind === 'ImagePullIntent' && typeof v.image === 'string') out.push(v.image);
    }
    return out;
  }

  getPulled(imageRef: string): PulledRecord | undefined | typeof UNREADABLE {
    const v = readRecordFile(join(this.pulledDir, cacheFilename(imageRef)));
    if (v === undefined || v === UNREADABLE) return v;
    const r = asPulledRecord(v);
    // Another imageRef's record under a colliding name says nothing about this one.
    return r === UNREADABLE || r.imageRef === imageRef ? r : undefined;
  }

  writePulled(r: PulledRecord): void {
    writeRecordFile(this.pulledDir, cacheFilename(r.imageRef), { kind: 'ImagePulledRecord', apiVersion: API_VERSION, ...r });
  }

  deletePulled(imageRef: string): void {
    rmSync(join(this.pulledDir, cacheFilename(imageRef)), { force: true });
  }

  /** The imageRefs of the pulled records on disk, readable or not (by file: an unreadable one is named by its file). */
  listPulled(): { file: string; imageRef?: string }[] {
    return recordFiles(this.pulledDir).map((file) => {
      const v = readRecordFile(join(this.pulledDir, file));
      const r = v && v !== UNREADABLE ? asPulledRecord(v) : UNREADABLE;
      return r === UNREADABLE ? { file } : { file, imageRef: r.imageRef };
    });
  }

  deletePulledFile(file: string): void {
    if (!/^sha256-[0-9a-f]{64}$/.test(file)) return;
    rmSync(join(this.pulledDir, file), { force: true });
  }
}
