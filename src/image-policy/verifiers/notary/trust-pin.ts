/**
 * Pinned trust for a repository's root (notary's trust_pinning `certs`, never TOFU): the policy
 * names the root key(s) a GUN's root.json must be signed with. A pin matches a root key by
 * - key ID: the certificate key's ID as listed in root.json (what notary's trust_pinning takes),
 *   or the bare public key's ID that `notary key list` prints for the root key; or
 * - public key: a PEM public key or certificate whose key equals the root certificate's key.
 * Pins are looked up like notary's: the exact GUN first, then the longest "prefix*" entry.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { canonicalKeyId, type TufKey } from './tuf-key.ts';

export interface NotaryRootPin {
  keyIds?: readonly string[];
  publicKeysPem?: readonly string[];
}

/** A pin checked once when configured, so request paths never see a malformed one. */
export interface CompiledPin {
  keyIds: ReadonlySet<string>;
  spkis: ReadonlySet<string>;
  /** Stable text for cache keys: two equal pins share verified state, different pins never do. */
  fingerprint: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function compilePin(pin: NotaryRootPin): CompiledPin {
  const keyIds = new Set<string>();
  for (const id of pin.keyIds ?? []) {
    if (!HEX64.test(id)) throw new Error(`notary root key ID ${JSON.stringify(id)} is not 64 lower-case hex digits`);
    keyIds.add(id);
  }
  const spkis = new Set<string>();
  for (const pem of pin.publicKeysPem ?? []) spkis.add(spkiHex(pemKey(pem)));
  if (keyIds.size === 0 && spkis.size === 0) throw new Error('a notary root pin needs at least one key ID or public key (trust on first use is not allowed)');
  return { keyIds, spkis, fingerprint: [...[...keyIds].sort(), '|', ...[...spkis].sort()].join(',') };
}

function pemKey(pem: string): KeyObject {
  if (pem.includes('BEGIN CERTIFICATE')) return new X509Certificate(pem).publicKey;
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new Error(`notary root public key is not a PEM public key or certificate: ${(err as Error).message}`);
  }
}

const spkiHex = (k: KeyObject): string => k.export({ type: 'spki', format: 'der' }).toString('hex');

export function pinMatches(pin: CompiledPin, key: TufKey): boolean {
  if (pin.keyIds.has(key.id) || pin.keyIds.has(canonicalKeyId(key))) return true;
  return pin.spkis.size > 0 && pin.spkis.has(spkiHex(key.key));
}

/** trustpinning.NewTrustPinChecker's lookup: exact GUN, else the longest matching "prefix*". */
export function selectPin<P>(gun: string, pins: Readonly<Record<string, P>>): P | undefined {
  if (Object.hasOwn(pins, gun)) return pins[gun];
  let best: string | undefined;
  for (const prefix of Object.keys(pins)) {
    if (prefix.endsWith('*') && gun.startsWith(prefix.slice(0, -1)) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : pins[best];
}
