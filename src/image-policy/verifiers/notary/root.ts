/**
 * Root metadata trust (trustpinning.ValidateRoot): a root is believed when
 * 1. its root-role keys are certificates for this GUN (CN equal to the GUN or a "prefix*"
 *    wildcard), one leaf first in each bundle, in their validity window (a day of leeway on
 *    notBefore), RSA keys of 2048 bits or more;
 * 2. when a previously trusted root exists, it is signed by that root's root keys with that
 *    root's threshold (key rotation: each version vouches for the next);
 * 3. at least one of its root keys matches the pin, and the pinned keys alone meet its own root
 *    threshold (self-signed);
 * 4. its version is not lower than the trusted one (ROLLBACK), and, for the root in use, it has
 *    not expired (METADATA_EXPIRED).
 */
import type { X509Certificate } from 'node:crypto';
import { ImagePolicyError } from '../../errors.ts';
import { parseEnvelope, parseRoot, type Envelope, type Root } from './metadata.ts';
import { verifyThreshold } from './signatures.ts';
import { pinMatches, type CompiledPin } from './trust-pin.ts';
import type { TufKey } from './tuf-key.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** sha1WithRSAEncryption, dsa-with-sha1, ecdsa-with-SHA1 */
const SHA1_SIGNATURES = new Set(['1.2.840.113549.1.1.5', '1.2.840.10040.4.3', '1.2.840.10045.4.1']);

export interface RootCheck {
  gun: string;
  pin: CompiledPin;
  now: number;
  /** The root trusted so far; the new one must be signed by its root keys. */
  prev?: Root;
  /** An intermediate root of a rotation chain: may be expired, and the pin is checked on the last one only. */
  intermediate?: boolean;
}

export function verifyRoot(bytes: Buffer, c: RootCheck): Root {
  const env = parseEnvelope(bytes, 'root');
  const root = parseRoot(env);
  const { valid, expired } = rootLeafKeys(root, c.gun, c.now, true);

  if (c.prev) {
    const prevKeys = rootLeafKeys(c.prev, c.gun, c.now, false).valid;
    try {
      verifyThreshold(env.canonical, env.signatures, { name: 'root', keys: prevKeys, threshold: c.prev.roles.root.threshold });
    } catch {
      throw new ImagePolicyError('UNTRUSTED_KEY', `root version ${root.version} of ${c.gun} is not signed by the root keys of trusted version ${c.prev.version}`);
    }
    if (root.version < c.prev.version) {
      throw new ImagePolicyError('ROLLBACK', `root of ${c.gun}: version ${root.version} is lower than the trusted version ${c.prev.version}`);
    }
  }

  if (valid.size === 0) {
    if (expired) throw new ImagePolicyError('METADATA_EXPIRED', `root of ${c.gun}: every root certificate is outside its validity period`);
    throw new ImagePolicyError('UNTRUSTED_KEY', `root of ${c.gun}: no root key is a valid certificate for this GUN`);
  }
  let signers = valid;
  if (!c.intermediate) {
    signers = new Map([...valid].filter(([, k]) => pinMatches(c.pin, k, c.now)));
    if (signers.size === 0) throw new ImagePolicyError('UNTRUSTED_KEY', `root of ${c.gun}: no root key matches the pinned root keys`);
  }
  try {
    verifyThreshold(env.canonical, env.signatures, { name: 'root', keys: signers, threshold: root.roles.root.threshold });
  } catch (err) {
    // Validly signed, but by root keys the pin does not name: the signer is the problem, not the signature.
    if (signers !== valid && meetsThreshold(env, valid, root.roles.root.threshold)) {
      throw new ImagePolicyError('UNTRUSTED_KEY', `root of ${c.gun} is signed by root keys that are not pinned (the pinned keys fall short of threshold ${root.roles.root.threshold})`);
    }
    throw err;
  }

  if (!c.intermediate && c.now > root.expires) {
    throw new ImagePolicyError('METADATA_EXPIRED', `root of ${c.gun} expired at ${new Date(root.expires).toISOString()}`);
  }
  return root;
}

function meetsThreshold(env: Envelope, keys: Map<string, TufKey>, threshold: number): boolean {
  try {
    verifyThreshold(env.canonical, env.signatures, { name: 'root', keys, threshold });
    return true;
  } catch {
    return false;
  }
}

/** The root role's certificate keys fit for this GUN (trustpinning validRootLeafCerts). */
function rootLeafKeys(root: Root, gun: string, now: number, checkExpiry: boolean): { valid: Map<string, TufKey>; expired: boolean } {
  const valid = new Map<string, TufKey>();
  let expired = false;
  for (const id of root.roles.root.keyIds) {
    const key = root.keys.get(id);
    if (!key?.certs?.length) continue;
    const leaves = key.certs.filter((c) => !c.ca);
    if (leaves.length !== 1 || key.certs[0]!.ca) continue;
    const leaf = key.certs[0]!;
    if (!cnMatchesGun(commonName(leaf), gun)) continue;
    // utils.ValidateCertificate: no SHA-1 signed certificates. (Node before 24.9 has no
    // signatureAlgorithmOid; there the check cannot be made.)
    if (SHA1_SIGNATURES.has((leaf.signatureAlgorithmOid as string | undefined) ?? '')) continue;
    const bits = leaf.publicKey.asymmetricKeyDetails?.modulusLength;
    if (bits !== undefined && bits < 2048) continue;
    if (Date.parse(leaf.validFrom) > Date.parse(leaf.validTo)) continue;
    if (checkExpiry && (now + DAY_MS < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo))) {
      expired = true;
      continue;
    }
    valid.set(id, key);
  }
  return { valid, expired };
}

/** Go's pkix.Name keeps the last CN attribute. */
function commonName(cert: X509Certificate): string {
  const cns = cert.subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
  return cns.at(-1) ?? '';
}

/** trustpinning.MatchCNToGun: equal, or a "prefix*" wildcard. */
export function cnMatchesGun(cn: string, gun: string): boolean {
  if (cn.endsWith('*')) return gun.startsWith(cn.replace(/\*+$/, ''));
  return cn === gun;
}
