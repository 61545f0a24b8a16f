/**
 * KEP-2535 "Ensure secret pulled images" (the kubelet's pullmanager.PullManager, beta and on by
 * default since 1.35): the node remembers which credentials pulled each image, so a pod may use
 * an image already on the node only when the policy (image-pull-policy.ts) waives the check or
 * the pod brings a credential that pulled it before; otherwise the image is pulled again with the
 * pod's own credentials (IfNotPresent) or refused (Never). Anonymous pulls make an image usable by
 * every pod on the node.
 *
 * Records live in files (image-pull-records.ts). A pull intent is written before each pull and
 * removed when the last concurrent pull of that image ends, so an image pulled while the agent
 * crashed is not later taken for a preloaded one: at start, an intent whose image is present
 * becomes a record with no credentials (every pod is then checked).
 *
 * Bounds: one record per image on the node (a removed image's record goes with it, and records of
 * images no longer present are dropped at start); per record at most MAX_NAMES image names and
 * MAX_SECRETS Secrets per name. Dropping an entry only ever makes a pod's check pull again.
 */
import type { PullCredentialPolicy, PullPolicyEnforcer } from './image-pull-policy.ts';
import { DEFAULT_PULL_CREDENTIAL_POLICY, imageName, pullPolicyEnforcer } from './image-pull-policy.ts';
import { PullRecordFiles, UNREADABLE, type PullCredentials, type PullSecretCoordinates, type PulledRecord } from './image-pull-records.ts';

/** Upstream's writeRecordWhileMatchingLimit: a match under new coordinates or a rotated hash is recorded below this many Secrets. */
const WRITE_WHILE_MATCHING_LIMIT = 100;
export const MAX_SECRETS = 256;
export const MAX_NAMES = 64;

export interface ImagePullManagerOptions {
  /** The image store's root: records go under <root>/image_manager. */
  root: string;
  policy?: PullCredentialPolicy | string;
  /** preloadedImagesVerificationAllowlist, for NeverVerifyAllowlistedImages. */
  allowlist?: readonly string[];
  now?: () => number;
}

/** What the manager asks of the image store when it starts. */
export interface PulledImages {
  imageStatus(ref: string): Promise<{ digest: string } | undefined>;
  listImages(): Promise<{ digest: string }[]>;
}

const sameCoordinates = (a: PullSecretCoordinates, b: PullSecretCoordinates) => a.uid === b.uid && a.namespace === b.namespace && a.name === b.name;
const coordinatesKey = (s: PullSecretCoordinates) => JSON.stringify([s.namespace, s.name, s.uid]);

/** Upstream's mergePullSecrets: unique per coordinates (the new hash wins), sorted by namespace, name, uid; bounded, keeping the new ones. */
function mergeSecrets(orig: readonly PullSecretCoordinates[], add: readonly PullSecretCoordinates[]): PullSecretCoordinates[] | undefined {
  const set = new Map(orig.map((s) => [coordinatesKey(s), s]));
  let changed = false;
  for (const s of add) {
    const k = coordinatesKey(s);
    if (set.get(k)?.credentialHash !== s.credentialHash) {
      changed = true;
      set.delete(k);
      set.set(k, s);
    }
  }
  if (!changed) return undefined;
  const keep = new Set(add.map(coordinatesKey));
  for (const k of set.keys()) {
    if (set.size <= MAX_SECRETS) break;
    if (!keep.has(k)) set.delete(k);
  }
  return [...set.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.uid.localeCompare(b.uid));
}

/** Upstream's pulledRecordMergeNewCreds: the record with `creds` merged in for `name`, or undefined when nothing changes. */
function mergeRecord(r: PulledRecord, name: string, creds: PullCredentials | undefined, now: string): PulledRecord | undefined {
  if (!creds || (!creds.nodePodsAccessible && !creds.kubernetesSecrets?.length)) return undefined;
  const mapping = { ...r.credentialMapping };
  const have = mapping[name];
  if (!have) {
    const names = Object.keys(mapping);
    // The oldest name goes first (object keys keep insertion order).
    for (let i = 0; names.length - i >= MAX_NAMES; i++) delete mapping[names[i]!];
    mapping[name] = creds.nodePodsAccessible ? { nodePodsAccessible: true } : { kubernetesSecrets: mergeSecrets([], creds.kubernetesSecrets ?? []) ?? [] };
    return { ...r, lastUpdatedTime: now, credentialMapping: mapping };
  }
  if (have.nodePodsAccessible) return undefined;
  if (creds.nodePodsAccessible) mapping[name] = { nodePodsAccessible: true };
  else {
    const merged = mergeSecrets(have.kubernetesSecrets ?? [], creds.kubernetesSecrets ?? []);
    if (!merged) return undefined;
    mapping[name] = { kubernetesSecrets: merged };
  }
  return { ...r, lastUpdatedTime: now, credentialMapping: mapping };
}

export class ImagePullManager {
  readonly files: PullRecordFiles;
  private readonly enforcer: PullPolicyEnforcer;
  private readonly now: () => number;
  /** In-flight pulls per image (the container's image field): the intent file goes with the last. */
  private readonly intents = new Map<string, number>();
  private ready: Promise<void> | undefined;

  constructor(o: ImagePullManagerOptions) {
    this.files = new PullRecordFiles(o.root);
    this.enforcer = pullPolicyEnforcer(o.policy ?? DEFAULT_PULL_CREDENTIAL_POLICY, o.allowlist);
    this.now = o.now ?? Date.now;
  }

  /**
   * Once, before the first decision (upstream's initialize and a first PruneUnknownRecords): an
   * intent left by a crashed pull whose image is present becomes a record without credentials;
   * records of images no longer on the node are dropped.
   */
  start(images: PulledImages): Promise<void> {
    this.ready ??= (async () => {
      for (const image of this.files.listIntents()) {
        const info = await images.imageStatus(image).catch(() => undefined);
        if (!info) continue;
        this.writeRecordIfChanged(image, info.digest, undefined);
        this.files.deleteIntent(image);
      }
      const present = new Set((await images.listImages()).map((i) => i.digest));
      for (const r of this.files.listPulled()) if (!r.imageRef || !present.has(r.imageRef)) this.files.deletePulledFile(r.file);
    })().catch((err: unknown) => {
      // Tried again by the next caller; meanwhile nobody gets a decision.
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** Before a pull of `image` (the container's image field as written). */
  recordPullIntent(image: string): void {
    this.files.writeIntent(image);
    this.intents.set(image, (this.intents.get(image) ?? 0) + 1);
  }

  /**
   * After a successful pull: `creds` are the Secret that pulled it, or nodePodsAccessible for an
   * anonymous pull. Should the record not be written, the intent stays (as upstream: the image
   * still counts as pulled by the agent, so the policy keeps checking pods).
   */
  recordImagePulled(image: string, imageRef: string, creds: PullCredentials): void {
    try {
      this.writeRecordIfChanged(image, imageRef, creds);
    } catch {
      return;
    }
    this.decrementIntent(image);
  }

  recordImagePullFailed(image: string): void {
    this.decrementIntent(image);
  }

  /** The image was removed from the node: its record goes too (upstream prunes at image GC). */
  forgetImage(imageRef: string): void {
    this.files.deletePulled(imageRef);
  }

  /**
   * Upstream's MustAttemptImagePull: true when the pod may not use the image on the node as it is
   * (it must be pulled with the pod's credentials). `podSecrets` are the pod's pull Secrets that
   * give a credential for this image, with their hashes; read only when needed. Any doubt (an
   * unreadable record, a failed Secret read) answers true.
   */
  async mustAttemptImagePull(image: string, imageRef: string, podSecrets: () => Promise<PullSecretCoordinates[]>): Promise<boolean> {
    if (!imageRef) return true;
    const record = this.files.getPulled(imageRef);
    if (record === UNREADABLE) return true;
    let pulledByAgent = record !== undefined || (this.intents.get(image) ?? 0) > 0;
    if (!pulledByAgent) {
      const intent = this.files.intentExists(image);
      if (intent === UNREADABLE) return true;
      pulledByAgent = intent;
    }
    if (!this.enforcer(image, pulledByAgent)) return false;
    if (!record) return true;
    const name = imageName(image);
    const cached = name === undefined ? undefined : record.credentialMapping[name];
    if (!cached) return true;
    if (cached.nodePodsAccessible) return false;
    const known = cached.kubernetesSecrets ?? [];
    if (known.length === 0) return true;
    let secrets: PullSecretCoordinates[];
    try {
      secrets = await podSecrets();
    } catch {
      return true;
    }
    for (const s of secrets) {
      for (const k of known) {
        const hashesMatch = k.credentialHash.length > 0 && s.credentialHash === k.credentialHash;
        const coordinatesMatch = sameCoordinates(s, k);
        if (hashesMatch) {
          // The same credential in another Secret (or a copy of it): recorded so it counts next time.
          if (!coordinatesMatch && known.length < WRITE_WHILE_MATCHING_LIMIT) this.tryWrite(image, imageRef, { kubernetesSecrets: [s] });
          return false;
        }
        // The Secret that pulled the image, its credential since rotated: trusted, and the new hash recorded.
        if (coordinatesMatch && known.length < WRITE_WHILE_MATCHING_LIMIT) {
          this.tryWrite(image, imageRef, { kubernetesSecrets: [s] });
          return false;
        }
      }
    }
    return true;
  }

  /** A write made while only matching: its failure changes nothing about the answer (upstream logs it). */
  private tryWrite(image: string, imageRef: string, creds: PullCredentials): void {
    try {
      this.writeRecordIfChanged(image, imageRef, creds);
    } catch {
      // the next match tries again
    }
  }

  /** Upstream's writePulledRecordIfChanged; `creds` undefined records the image as pulled by the agent with nobody known to have access. */
  private writeRecordIfChanged(image: string, imageRef: string, creds: PullCredentials | undefined): void {
    const name = imageName(image);
    if (name === undefined) return;
    const now = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const have = this.files.getPulled(imageRef);
    if (!have || have === UNREADABLE) {
      const fresh: PulledRecord = { lastUpdatedTime: now, imageRef, credentialMapping: {} };
      this.files.writePulled(mergeRecord(fresh, name, creds, now) ?? fresh);
      return;
    }
    const merged = mergeRecord(have, name, creds, now);
    if (merged) this.files.writePulled(merged);
  }

  private decrementIntent(image: string): void {
    const n = this.intents.get(image) ?? 0;
    if (n > 1) {
      this.intents.set(image, n - 1);
      return;
    }
    this.files.deleteIntent(image);
    this.intents.delete(image);
  }
}
