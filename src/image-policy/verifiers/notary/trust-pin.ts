/**
 * Pinned trust for a repository's root (notary's trust_pinning `certs`, never TOFU): the policy
 * names the root key(s) a GUN's root.json must be signed with. A pin matches a root key by
 * - key ID: the certificate key's ID as listed in root.json (what notary's trust_pinning takes),
 *   or the bare public key's ID that `notary key list` prints for the root key; or
 * - public key: a PEM public key or certificate whose key equals the root certificate's key; or
 * - CA (notary's trust_pinning `ca`): the root certificate chains, through the intermediates of
 *   its own certificate bundle in root.json, to one of the pinned CA certificates, every
 *   certificate of the chain valid at the verification time (as Go's x509 Verify in notary's
 *   caCheck; no name constraints or policies are evaluated).
 * Pins are looked up like notary's: the exact GUN first, then the longest "prefix*" entry.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { canonicalKeyId, type TufKey } from './tuf-key.ts';

export interface NotaryRootPin {
  keyIds?: readonly string[];
  publicKeysPem?: readonly string[];
  /** PEM CA certificates the root certificate must chain to. */
  caPem?: readonly string[];
}

/** A pin checked once when configured, so request paths never see a malformed one. */
export interface CompiledPin {
  keyIds: ReadonlySet<string>;
  spkis: ReadonlySet<string>;
  cas: readonly X509Certificate[];
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
  const cas: X509Certificate[] = [];
  for (const pem of pin.caPem ?? []) {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new Error('notary root CA is not a PEM certificate');
    for (const b of blocks) {
      const c = new X509Certificate(b);
      if (!c.ca) throw new Error(`notary root CA ${JSON.stringify(c.subject.replace(/\n/g, ', '))} is not a CA certificate`);
      cas.push(c);
    }
  }
  if (keyIds.size === 0 && spkis.size === 0 && cas.length === 0) throw new Error('a notary root pin needs at least one key ID, public key or CA (trust on first use is not allowed)');
  const caPrints = cas.map((c) => c.fingerprint256).sort();
  return { keyIds, spkis, cas, fingerprint: [...[...keyIds].sort(), '|', ...[...spkis].sort(), '|', ...caPrints].join(',') };
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

export function pinMatches(pin: CompiledPin, key: TufKey, now: number): boolean {
  if (pin.keyIds.has(key.id) || pin.keyIds.has(canonicalKeyId(key))) return true;
  if (pin.spkis.size > 0 && pin.spkis.has(spkiHex(key.key))) return true;
  return pin.cas.length > 0 && key.certs !== undefined && chainsToCa(key.certs, pin.cas, now);
}

const validAt = (c: X509Certificate, now: number) => now >= c.validFromDate.getTime() && now <= c.validToDate.getTime();
const signedBy = (c: X509Certificate, issuer: X509Certificate) => c.checkIssued(issuer) && c.verify(issuer.publicKey);

/** The bundle's leaf (first) reaches a CA through the bundle's CA certificates, all valid now. */
function chainsToCa(bundle: readonly X509Certificate[], cas: readonly X509Certificate[], now: number): boolean {
  let current: X509Certificate | undefined = bundle[0];
  const intermediates = bundle.slice(1).filter((c) => c.ca);
  for (let depth = 0; current && depth <= intermediates.length; depth++) {
    if (!validAt(current, now)) return false;
    const cur: X509Certificate = current;
    if (cas.some((ca) => validAt(ca, now) && (ca.raw.equals(cur.raw) || signedBy(cur, ca)))) return true;
    current = intermediates.find((i) => i !== cur && signedBy(cur, i));
  }
  return false;
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
