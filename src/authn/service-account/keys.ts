/**
 * Service account signing and verification keys, read the way kube-apiserver reads
 * `--service-account-signing-key-file` (one private key) and `--service-account-key-file`
 * (any number of files, each with any number of PEM keys, certificates or private keys, so old
 * keys can stay trusted during a rotation).
 *
 * Only RSA (>= 2048 bits, RS256) and ECDSA P-256 (ES256) are accepted. Upstream also takes P-384
 * and P-521; the verifier here allows exactly two algorithms, and a key that could never verify
 * anything is refused when the server is built instead of failing every token later.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../pki/write-file-atomic.ts';

export type ServiceAccountAlg = 'RS256' | 'ES256';
export const ALLOWED_ALGS: readonly ServiceAccountAlg[] = ['RS256', 'ES256'];

export interface VerificationKey {
  /** upstream keyIDFromPublicKey: base64url(sha256(PKIX DER)), no padding */
  kid: string;
  alg: ServiceAccountAlg;
  key: KeyObject;
}

export interface SigningKey {
  kid: string;
  alg: ServiceAccountAlg;
  /** private */
  key: KeyObject;
  /** the matching public key */
  publicKey: KeyObject;
}

export class ServiceAccountKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceAccountKeyError';
  }
}

export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

/** The algorithm a public key signs with, or an error naming why it is refused. */
export function algorithmFor(publicKey: KeyObject, source: string): ServiceAccountAlg {
  const d = publicKey.asymmetricKeyDetails ?? {};
  if (publicKey.asymmetricKeyType === 'rsa') {
    if ((d.modulusLength ?? 0) < 2048) throw new ServiceAccountKeyError(`${source}: RSA key of ${d.modulusLength} bits is too small (2048 bits or more)`);
    return 'RS256';
  }
  if (publicKey.asymmetricKeyType === 'ec') {
    if (d.namedCurve !== 'prime256v1') throw new ServiceAccountKeyError(`${source}: ECDSA curve ${d.namedCurve} is not supported (P-256 only)`);
    return 'ES256';
  }
  throw new ServiceAccountKeyError(`${source}: ${publicKey.asymmetricKeyType} keys are not supported (RSA or ECDSA P-256)`);
}

interface PemBlock {
  type: string;
  text: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

function pemBlocks(pem: string): PemBlock[] {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1]!, text: m[0] }));
}

const PRIVATE_TYPES = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const PUBLIC_TYPES = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);

function parseBlock(b: PemBlock, source: string): { pub: KeyObject; priv?: KeyObject } | undefined {
  if (b.type === 'ENCRYPTED PRIVATE KEY') throw new ServiceAccountKeyError(`${source}: encrypted private keys are not supported`);
  try {
    if (PRIVATE_TYPES.has(b.type)) {
      const priv = createPrivateKey(b.text);
      return { priv, pub: createPublicKey(priv) };
    }
    if (PUBLIC_TYPES.has(b.type)) return { pub: createPublicKey(b.text) };
    if (b.type === 'CERTIFICATE') return { pub: new X509Certificate(b.text).publicKey };
  } catch (err) {
    throw new ServiceAccountKeyError(`${source}: invalid ${b.type} block: ${(err as Error).message}`);
  }
  // Upstream tolerates other blocks ("EC PARAMETERS" next to an EC key).
  return undefined;
}

/** The first private key in PEM text (PKCS#1, SEC1 or PKCS#8). */
export function parseSigningKeyPem(pem: string, source: string): SigningKey {
  for (const b of pemBlocks(pem)) {
    if (!PRIVATE_TYPES.has(b.type) && b.type !== 'ENCRYPTED PRIVATE KEY') continue;
    const k = parseBlock(b, source)!;
    return { kid: keyId(k.pub), alg: algorithmFor(k.pub, source), key: k.priv!, publicKey: k.pub };
  }
  throw new ServiceAccountKeyError(`${source}: data does not contain a valid RSA or ECDSA private key`);
}

/** Every public key in PEM text: public keys, certificates, and the public half of private keys. */
export function parseVerificationKeysPem(pem: string, source: string): VerificationKey[] {
  const out: VerificationKey[] = [];
  for (const b of pemBlocks(pem)) {
    const k = parseBlock(b, source);
    if (k) out.push({ kid: keyId(k.pub), alg: algorithmFor(k.pub, source), key: k.pub });
  }
  if (out.length === 0) throw new ServiceAccountKeyError(`${source}: data does not contain any valid RSA or ECDSA public keys`);
  return out;
}

function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ServiceAccountKeyError(`${path}: ${(err as Error).message}`);
  }
}

export function loadSigningKey(path: string): SigningKey {
  return parseSigningKeyPem(readPem(path), path);
}

/** Keys from all files, in order, the same key listed twice kept once. */
export function loadVerificationKeys(paths: readonly string[]): VerificationKey[] {
  const byKid = new Map<string, VerificationKey>();
  for (const p of paths) for (const k of parseVerificationKeysPem(readPem(p), p)) if (!byKid.has(k.kid)) byKid.set(k.kid, k);
  return [...byKid.values()];
}

export interface ServiceAccountKeys {
  signing: SigningKey;
  verification: VerificationKey[];
}

/**
 * Both flags together. As upstream, no --service-account-key-file means the signing key file also
 * verifies. A signing key missing from the verification keys would mint tokens this server itself
 * rejects, so that is a configuration error here.
 */
export function loadServiceAccountKeys(opts: { signingKeyFile: string; keyFiles?: readonly string[] }): ServiceAccountKeys {
  const signing = loadSigningKey(opts.signingKeyFile);
  const files = opts.keyFiles && opts.keyFiles.length > 0 ? opts.keyFiles : [opts.signingKeyFile];
  const verification = loadVerificationKeys(files);
  if (!verification.some((k) => k.kid === signing.kid)) {
    throw new ServiceAccountKeyError(`the key in --service-account-signing-key-file ${opts.signingKeyFile} is not among the --service-account-key-file keys`);
  }
  return { signing, verification };
}

export type GeneratedKeyType = 'ecdsa' | 'rsa';

/**
 * `<dataDir>/pki/sa.key` (mode 0600) and `sa.pub` for `portcullis up`, created only when absent
 * (kubeadm's names; SEC1 for ECDSA, PKCS#1 for RSA). An existing key is parsed so a damaged one
 * fails at start. Returns the path of the private key.
 */
export function generateServiceAccountKey(dataDir: string, type: GeneratedKeyType = 'ecdsa'): string {
  const dir = join(dataDir, 'pki');
  const keyPath = join(dir, 'sa.key');
  if (existsSync(keyPath)) {
    loadSigningKey(keyPath);
    return keyPath;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPem = privateKey.export({ type: type === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }).toString();
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // The public half first: a crash between the two writes leaves no key without its sa.pub.
  writeFileAtomic(join(dir, 'sa.pub'), pubPem, 0o644);
  writeFileAtomic(keyPath, keyPem, 0o600);
  return keyPath;
}
