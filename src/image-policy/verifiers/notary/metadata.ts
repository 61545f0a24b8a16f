/**
 * The four TUF metadata files as notary writes them (tuf/data/{root,timestamp,snapshot,targets}.go),
 * parsed into the fields verification uses and checked the way notary's *FromSigned functions
 * check them: the `_type`, a version of at least 1, an RFC 3339 expiry, the base roles of root
 * with thresholds of at least 1 and no dangling key IDs, the snapshot and root/targets hashes that
 * timestamp and snapshot must carry, and delegations that are direct children of their role.
 * Signatures are not checked here (signatures.ts); a structural fault is SIGNATURE_INVALID.
 */
import { ImagePolicyError } from '../../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { parseSignatures, type Signature } from './signatures.ts';
import { parseTufKey, strictBase64, type TufKey } from './tuf-key.ts';

export interface Envelope {
  /** The canonical bytes of `signed`: what the signatures cover. */
  canonical: Buffer;
  signatures: Signature[];
  signed: Record<string, unknown>;
}

export interface Common {
  version: number;
  /** Milliseconds since the epoch. */
  expires: number;
}

export interface FileMeta {
  length: number;
  sha256?: Buffer;
  sha512?: Buffer;
}

export interface RoleSpec {
  keyIds: string[];
  threshold: number;
}

export interface Root extends Common {
  /** Keys that parsed; a key of an unknown type simply never counts toward a threshold. */
  keys: Map<string, TufKey>;
  roles: Record<'root' | 'targets' | 'snapshot' | 'timestamp', RoleSpec>;
}

export interface Timestamp extends Common {
  snapshot: FileMeta;
}

export interface Snapshot extends Common {
  meta: Map<string, FileMeta>;
}

export interface Delegation extends RoleSpec {
  name: string;
  paths: string[];
}

export interface Targets extends Common {
  /** null: listed, but without a usable hash (found by a lookup, it fails rather than falls through). */
  targets: Map<string, FileMeta | null>;
  delegationKeys: Map<string, TufKey>;
  delegations: Delegation[];
}

const fail = (message: string): ImagePolicyError => new ImagePolicyError('SIGNATURE_INVALID', message);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function parseEnvelope(bytes: Buffer, role: string): Envelope {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw fail(`${role}: metadata is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc) || !isObject(doc.signed)) throw fail(`${role}: metadata has no signed object`);
  let canonical: Buffer;
  try {
    canonical = canonicalJson(doc.signed);
  } catch (err) {
    throw fail(`${role}: ${(err as Error).message}`);
  }
  return { canonical, signatures: parseSignatures(doc.signatures, role), signed: doc.signed };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Go's time.Time JSON form (RFC 3339, fraction optional), in milliseconds. */
export function parseExpiry(v: unknown, role: string): number {
  const m = typeof v === 'string' ? RFC3339.exec(v) : null;
  if (!m) throw fail(`${role}: expires ${JSON.stringify(v)} is not an RFC 3339 time`);
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!) + Math.floor(Number(`0${frac ?? ''}`) * 1000);
  if (sign) ms -= (sign === '+' ? 1 : -1) * (+oh! * 60 + +om!) * 60_000;
  if (!Number.isFinite(ms)) throw fail(`${role}: expires ${JSON.stringify(v)} is not a valid time`);
  return ms;
}

function common(signed: Record<string, unknown>, role: string, type: string): Common {
  if (signed._type !== type) throw fail(`${role}: expected type ${type}, not ${JSON.stringify(signed._type)}`);
  const version = signed.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw fail(`${role}: version cannot be less than 1`);
  return { version, expires: parseExpiry(signed.expires, role) };
}

export function parseFileMeta(v: unknown, what: string): FileMeta {
  if (!isObject(v) || !isObject(v.hashes)) throw fail(`${what}: missing hashes`);
  const length = v.length;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw fail(`${what}: invalid length`);
  const meta: FileMeta = { length };
  if (v.hashes.sha256 !== undefined) meta.sha256 = strictBase64(v.hashes.sha256, `${what} sha256`);
  if (v.hashes.sha512 !== undefined) meta.sha512 = strictBase64(v.hashes.sha512, `${what} sha512`);
  if (meta.sha256 && meta.sha256.length !== 32) throw fail(`${what}: invalid sha256 checksum`);
  if (meta.sha512 && meta.sha512.length !== 64) throw fail(`${what}: invalid sha512 checksum`);
  if (!meta.sha256 && !meta.sha512) throw fail(`${what}: at least one supported hash needed`);
  return meta;
}

function parseKeys(v: unknown, where: string): { usable: Map<string, TufKey>; listed: Set<string> } {
  if (!isObject(v)) throw fail(`${where}: keys is not an object`);
  const usable = new Map<string, TufKey>();
  const listed = new Set(Object.keys(v));
  if (listed.size > 256) throw fail(`${where}: more than 256 keys`);
  for (const id of listed) {
    try {
      usable.set(id, parseTufKey(id, v[id], where));
    } catch {
      // Unknown or broken keys stay listed (role structure is still checked) but never verify.
    }
  }
  return { usable, listed };
}

function roleSpec(v: unknown, where: string, listed: Set<string>): RoleSpec {
  if (!isObject(v)) throw fail(`${where}: missing role specification`);
  const { keyids, threshold } = v;
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 1) throw fail(`${where}: invalid threshold ${String(threshold)}`);
  if (!Array.isArray(keyids) || !keyids.every((k) => typeof k === 'string')) throw fail(`${where}: keyids is not a list of strings`);
  for (const id of keyids) if (!listed.has(id)) throw fail(`${where}: key ID ${id} specified without corresponding key`);
  return { keyIds: [...new Set(keyids as string[])], threshold };
}

export function parseRoot(e: Envelope): Root {
  const c = common(e.signed, 'root', 'Root');
  const { usable, listed } = parseKeys(e.signed.keys, 'root');
  const roles = e.signed.roles;
  if (!isObject(roles)) throw fail('root: missing roles');
  const spec = (name: string) => roleSpec(roles[name], `root: ${name} role`, listed);
  return { ...c, keys: usable, roles: { root: spec('root'), targets: spec('targets'), snapshot: spec('snapshot'), timestamp: spec('timestamp') } };
}

export function parseTimestamp(e: Envelope): Timestamp {
  const c = common(e.signed, 'timestamp', 'Timestamp');
  const meta = e.signed.meta;
  const snapshot = parseFileMeta(isObject(meta) ? meta.snapshot : undefined, 'timestamp: snapshot');
  if (!snapshot.sha256) throw fail('timestamp: missing snapshot sha256 checksum information');
  return { ...c, snapshot };
}

export function parseSnapshot(e: Envelope): Snapshot {
  const c = common(e.signed, 'snapshot', 'Snapshot');
  if (!isObject(e.signed.meta)) throw fail('snapshot: missing meta');
  const meta = new Map<string, FileMeta>();
  for (const [name, v] of Object.entries(e.signed.meta)) meta.set(name, parseFileMeta(v, `snapshot: ${name}`));
  for (const name of ['root', 'targets']) {
    if (!meta.get(name)?.sha256) throw fail(`snapshot: missing ${name} sha256 checksum information`);
  }
  return { ...c, meta };
}

const DELEGATION_NAME = /^[-a-z0-9_/]+$/;

/** tuf/data/roles.go IsDelegation: targets/<...>, restricted characters, clean path, < 256 bytes. */
export function isDelegationName(name: string): boolean {
  return name.startsWith('targets/') && DELEGATION_NAME.test(name) && name.length < 256 && !/\/\/|\/$|(^|\/)\.\.?(\/|$)/.test(name);
}

export function parseTargets(e: Envelope, role: string): Targets {
  const c = common(e.signed, role, 'Targets');
  if (!isObject(e.signed.targets)) throw fail(`${role}: missing targets`);
  const targets = new Map<string, FileMeta | null>();
  for (const [name, v] of Object.entries(e.signed.targets)) {
    try {
      targets.set(name, parseFileMeta(v, `${role}: target ${name}`));
    } catch {
      targets.set(name, null);
    }
  }
  const d = e.signed.delegations;
  if (d === undefined || d === null) return { ...c, targets, delegationKeys: new Map(), delegations: [] };
  if (!isObject(d)) throw fail(`${role}: delegations is not an object`);
  const { usable, listed } = parseKeys(d.keys ?? {}, `${role} delegations`);
  const rawRoles = d.roles ?? [];
  if (!Array.isArray(rawRoles) || rawRoles.length > 256) throw fail(`${role}: delegation roles is not a list of at most 256`);
  const delegations = rawRoles.map((r): Delegation => {
    const name = isObject(r) ? r.name : undefined;
    if (typeof name !== 'string' || !isDelegationName(name) || name.slice(0, name.lastIndexOf('/')) !== role) {
      throw fail(`${role}: delegation role ${JSON.stringify(name)} invalid`);
    }
    const paths = (r as Record<string, unknown>).paths ?? [];
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) throw fail(`${role}: ${name} paths is not a list of strings`);
    return { name, paths: paths as string[], ...roleSpec(r, `${role}: delegation ${name}`, listed) };
  });
  return { ...c, targets, delegationKeys: usable, delegations };
}
