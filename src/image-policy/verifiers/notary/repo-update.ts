/**
 * One update of a repository's trust data, in TUF order (client/tufclient.go Update):
 * root (following the rotation chain from the trusted version), timestamp, snapshot by its
 * signed hash, targets and every delegation the snapshot lists, parents before children
 * (pre-order, as downloadTargets). Each file is size-capped before it is read, checked against
 * the hash and length its signed parent gives, signature-checked with its role's keys and
 * threshold, then checked for rollback (version below the highest already seen for this
 * repository and pin) and finally for expiry, the same order as notary's builder.
 * Unchanged files (same signed hash as the previous update) are not fetched again.
 */
import { createHash } from 'node:crypto';
import { ImagePolicyError } from '../../errors.ts';
import { checkFileMeta, hashesMatch } from './hashes.ts';
import { parseEnvelope, parseSnapshot, parseTargets, parseTimestamp, type Common, type Delegation, type FileMeta, type Root, type Snapshot, type Targets, type Timestamp } from './metadata.ts';
import { verifyRoot } from './root.ts';
import { verifyThreshold, type RoleKeys } from './signatures.ts';
import type { CompiledPin } from './trust-pin.ts';
import type { TufKey } from './tuf-key.ts';

/** notary.MaxTimestampSize */
const MAX_TIMESTAMP_BYTES = 1 << 20;
/** A rotation chain longer than this is refused rather than walked. */
const MAX_ROOT_STEPS = 64;

export interface VerifiedTargets {
  targets: Targets;
  /** The hash the snapshot listed it under (absent when the snapshot gave only sha512). */
  sha256?: Buffer;
  /** The role keys and threshold it was verified with (keysFingerprint). */
  verifiedWith: string;
}

export interface VerifiedRepo {
  rootBytes: Buffer;
  root: Root;
  timestamp: Timestamp;
  snapshot: Snapshot;
  /** Verified targets metadata by role name ("targets", "targets/releases", ...). */
  roles: Map<string, VerifiedTargets>;
  /** Delegations that failed their signature threshold or expired: skipped, as notary skips them. */
  invalid: Map<string, ImagePolicyError>;
  /** The size of the metadata behind it (what the cache counts against its byte bound). */
  bytes: number;
}

/** Highest versions seen per role for one repository and pin: the rollback floor. */
export interface Versions {
  root: number;
  timestamp: number;
  snapshot: number;
  roles: Map<string, number>;
}

export interface UpdateContext {
  gun: string;
  pin: CompiledPin;
  now: number;
  /** Metadata by name ("root", "timestamp", "snapshot.<hex>", "2.root"); undefined when the server has none. */
  fetch(name: string, maxBytes: number): Promise<Buffer | undefined>;
  prev?: VerifiedRepo;
  versions?: Versions;
  maxMetadataBytes: number;
  maxDelegations: number;
}

export async function updateRepo(c: UpdateContext): Promise<VerifiedRepo> {
  const { rootBytes, root } = await updateRoot(c);
  const ts = await loadTimestamp(c, root);
  const snapshot = await loadSnapshot(c, root, ts);
  if (!hashesMatch(rootBytes, snapshot.meta.get('root'))) {
    throw new ImagePolicyError('SIGNATURE_INVALID', `root of ${c.gun} is not the root the snapshot lists`);
  }
  const { roles, invalid } = await loadAllTargets(c, root, snapshot);
  let bytes = rootBytes.length + ts.snapshot.length;
  for (const name of roles.keys()) bytes += snapshot.meta.get(name)?.length ?? 0;
  return { rootBytes, root, timestamp: ts, snapshot, roles, invalid, bytes };
}

async function must(c: UpdateContext, name: string, maxBytes: number, missing: ImagePolicyError): Promise<Buffer> {
  const b = await c.fetch(name, maxBytes);
  if (b === undefined) throw missing;
  return b;
}

async function updateRoot(c: UpdateContext): Promise<{ rootBytes: Buffer; root: Root }> {
  const unsigned = new ImagePolicyError('UNSIGNED', `notary has no trust data for ${c.gun}`);
  const rootBytes = await must(c, 'root', c.maxMetadataBytes, unsigned);
  const prev = c.prev;
  if (prev && rootBytes.equals(prev.rootBytes)) {
    // Unchanged, but checked again as notary checks its cached root on every update: the
    // certificates' validity window and the root's expiry move with the clock.
    verifyRoot(rootBytes, { gun: c.gun, pin: c.pin, now: c.now });
    return { rootBytes, root: prev.root };
  }
  let trusted = prev?.root;
  if (trusted) {
    // Peek at the new version to fetch the intermediate roots; nothing from it is trusted yet.
    const latest = peekVersion(rootBytes);
    if (latest - trusted.version > MAX_ROOT_STEPS) throw new ImagePolicyError('UNTRUSTED_KEY', `root of ${c.gun}: rotation chain of ${latest - trusted.version} versions is too long`);
    for (let v = trusted.version + 1; v < latest; v++) {
      const missing = new ImagePolicyError('UNTRUSTED_KEY', `root version ${v} of ${c.gun} is missing from the rotation chain`);
      const bytes = await must(c, `${v}.root`, c.maxMetadataBytes, missing);
      trusted = verifyRoot(bytes, { gun: c.gun, pin: c.pin, now: c.now, prev: trusted, intermediate: true });
    }
  }
  const root = verifyRoot(rootBytes, { gun: c.gun, pin: c.pin, now: c.now, prev: trusted });
  rollback(c, 'root', root.version, c.versions?.root);
  return { rootBytes, root };
}

function peekVersion(bytes: Buffer): number {
  try {
    const v = (JSON.parse(bytes.toString('utf8')) as { signed?: { version?: unknown } }).signed?.version;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) return v;
  } catch {
    // fall through
  }
  throw new ImagePolicyError('SIGNATURE_INVALID', 'root: metadata has no valid version');
}

function baseRole(root: Root, name: 'targets' | 'snapshot' | 'timestamp'): RoleKeys {
  return roleKeys(name, root.roles[name].keyIds, root.roles[name].threshold, root.keys);
}

function roleKeys(name: string, keyIds: string[], threshold: number, keys: ReadonlyMap<string, TufKey>): RoleKeys {
  const m = new Map<string, TufKey>();
  for (const id of keyIds) {
    const k = keys.get(id);
    if (k) m.set(id, k);
  }
  return { name, keys: m, threshold };
}

function rollback(c: UpdateContext, role: string, version: number, floor: number | undefined): void {
  if (floor !== undefined && version < floor) {
    throw new ImagePolicyError('ROLLBACK', `${role} of ${c.gun}: version ${version} is lower than version ${floor} already seen`);
  }
}

function expiry(c: UpdateContext, role: string, m: Common): void {
  if (c.now > m.expires) throw new ImagePolicyError('METADATA_EXPIRED', `${role} of ${c.gun} expired at ${new Date(m.expires).toISOString()}`);
}

async function loadTimestamp(c: UpdateContext, root: Root): Promise<Timestamp> {
  const bytes = await must(c, 'timestamp', Math.min(MAX_TIMESTAMP_BYTES, c.maxMetadataBytes), new ImagePolicyError('UNSIGNED', `notary has no timestamp for ${c.gun}`));
  const env = parseEnvelope(bytes, 'timestamp');
  verifyThreshold(env.canonical, env.signatures, baseRole(root, 'timestamp'));
  const ts = parseTimestamp(env);
  rollback(c, 'timestamp', ts.version, c.versions?.timestamp);
  expiry(c, 'timestamp', ts);
  return ts;
}

/** Fetches a file by the hash its parent signed (notary's consistent name), capped at that length. */
async function loadListed(c: UpdateContext, role: string, meta: FileMeta): Promise<Buffer> {
  if (meta.length > c.maxMetadataBytes) {
    throw new ImagePolicyError('OVERSIZE', `${role} of ${c.gun} is ${meta.length} bytes, over the ${c.maxMetadataBytes}-byte limit`);
  }
  const name = meta.sha256 ? `${role}.${meta.sha256.toString('hex')}` : role;
  const missing = new ImagePolicyError('REGISTRY_UNAVAILABLE', `notary server has no ${name} for ${c.gun}, which the signed metadata lists`);
  const bytes = await must(c, name, meta.length, missing);
  checkFileMeta(bytes, meta, `${role} of ${c.gun}`);
  return bytes;
}

async function loadSnapshot(c: UpdateContext, root: Root, ts: Timestamp): Promise<Snapshot> {
  const prev = c.prev;
  let snapshot: Snapshot;
  if (prev && prev.timestamp.snapshot.sha256!.equals(ts.snapshot.sha256!) && prev.root === root) {
    snapshot = prev.snapshot;
  } else {
    const env = parseEnvelope(await loadListed(c, 'snapshot', ts.snapshot), 'snapshot');
    verifyThreshold(env.canonical, env.signatures, baseRole(root, 'snapshot'));
    snapshot = parseSnapshot(env);
  }
  rollback(c, 'snapshot', snapshot.version, c.versions?.snapshot);
  expiry(c, 'snapshot', snapshot);
  return snapshot;
}

interface Pending {
  name: string;
  keys: RoleKeys;
}

async function loadAllTargets(c: UpdateContext, root: Root, snapshot: Snapshot): Promise<{ roles: Map<string, VerifiedTargets>; invalid: Map<string, ImagePolicyError> }> {
  const roles = new Map<string, VerifiedTargets>();
  const invalid = new Map<string, ImagePolicyError>();
  const queue: Pending[] = [{ name: 'targets', keys: baseRole(root, 'targets') }];
  while (queue.length > 0) {
    const role = queue.shift()!;
    const meta = snapshot.meta.get(role.name);
    // Roles the snapshot does not list have never been published: nothing to fetch (notary skips them).
    if (!meta) continue;
    if (roles.size + invalid.size >= c.maxDelegations + 1) {
      throw new ImagePolicyError('OVERSIZE', `${c.gun} has more than ${c.maxDelegations} delegations`);
    }
    const loaded = await loadTargetsRole(c, role, meta);
    if (loaded instanceof ImagePolicyError) {
      invalid.set(role.name, loaded);
      continue;
    }
    const targets = loaded;
    roles.set(role.name, { targets, sha256: meta.sha256, verifiedWith: keysFingerprint(role.keys) });
    queue.unshift(...targets.delegations.map((d: Delegation) => ({ name: d.name, keys: roleKeys(d.name, d.keyIds, d.threshold, targets.delegationKeys) })));
  }
  return { roles, invalid };
}

/**
 * A targets role in notary's loadDelegation order: checksum, structure, version, signatures,
 * expiry. As downloadTargets does, a delegation whose signatures fall short of its threshold or
 * that has expired is skipped (returned as the reason); anything else, and any failure of the
 * top-level targets, fails the update (a tampered or rolled-back delegation is not skipped).
 */
async function loadTargetsRole(c: UpdateContext, role: Pending, meta: FileMeta): Promise<Targets | ImagePolicyError> {
  const cached = c.prev?.roles.get(role.name);
  const reuse = cached?.sha256 && meta.sha256 && cached.sha256.equals(meta.sha256) && cached.verifiedWith === keysFingerprint(role.keys);
  const env = reuse ? undefined : parseEnvelope(await loadListed(c, role.name, meta), role.name);
  const targets = reuse ? cached.targets : parseTargets(env!, role.name);
  rollback(c, role.name, targets.version, c.versions?.roles.get(role.name));
  try {
    if (env) verifyThreshold(env.canonical, env.signatures, role.keys);
    expiry(c, role.name, targets);
  } catch (err) {
    if (role.name === 'targets' || !(err instanceof ImagePolicyError)) throw err;
    return err;
  }
  return targets;
}

/** Reusing a verified file is only sound if the keys that verified it are still the role's keys. */
export function keysFingerprint(r: RoleKeys): string {
  return createHash('sha256').update(`${r.threshold}:${[...r.keys.keys()].sort().join(',')}`).digest('hex');
}
