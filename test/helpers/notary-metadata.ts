/**
 * Hand-built Notary/TUF repositories for tests of cases the notary CLI cannot produce
 * (delegation thresholds above 1, RSA-PSS root keys, replays, tampering, oversize files). Keys
 * and signatures follow notary's formats: key IDs over canonical JSON, "ecdsa" raw r||s,
 * "rsapss" with a 32-byte salt, "eddsa"; root keys are self-signed leaf certificates whose CN
 * is the GUN.
 */
import { createHash, generateKeyPairSync, sign, constants, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { canonicalJson } from '../../src/image-policy/verifiers/notary/canonical-json.ts';
import { keyIdOf } from '../../src/image-policy/verifiers/notary/tuf-key.ts';
import { newCertificate } from '../../src/pki/new-certificate.ts';

export interface Signer {
  id: string;
  entry: { keytype: string; keyval: { private: null; public: string } };
  sign(message: Buffer): { keyid: string; method: string; sig: string };
}

function signer(keytype: string, publicB64: string, method: string, doSign: (m: Buffer) => Buffer): Signer {
  const id = keyIdOf(keytype, publicB64);
  return { id, entry: { keytype, keyval: { private: null, public: publicB64 } }, sign: (m) => ({ keyid: id, method, sig: doSign(m).toString('base64') }) };
}

export function ed25519Signer(): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return signer('ed25519', raw.toString('base64'), 'eddsa', (m) => sign(null, m, privateKey));
}

export function ecdsaSigner(): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return signer('ecdsa', spki.toString('base64'), 'ecdsa', (m) => sign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
}

/** An rsa-x509 root key: a self-signed leaf certificate (not a CA) with CN = the GUN, signing RSA-PSS. */
/**
 * A root key as notary writes one: an rsa-x509 certificate for the GUN, self-signed, or issued by
 * `issuer` (trust_pinning ca) with `issuer.chainPem` (intermediates) appended to the key's bundle.
 */
export function rsaRootSigner(gun: string, now: Date, validityDays = 3650, certDigest: 'sha256' | 'sha1' = 'sha256', issuer?: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; chainPem?: string }): Signer & { privateKey: KeyObject; certPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const fk = forge.pki.privateKeyFromPem(pem);
  const subject = [{ name: 'commonName', value: gun }];
  const cert = newCertificate({ publicKey: forge.pki.setRsaPublicKey(fk.n, fk.e), subject, now, validityDays });
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  cert.setExtensions([{ name: 'basicConstraints', critical: true, cA: false }, { name: 'keyUsage', critical: true, digitalSignature: true }]);
  cert.sign(issuer?.key ?? fk, certDigest === 'sha1' ? forge.md.sha1.create() : forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const s = signer('rsa-x509', Buffer.from(certPem + (issuer?.chainPem ?? '')).toString('base64'), 'rsapss', (m) =>
    sign('sha256', m, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  );
  return { ...s, privateKey, certPem };
}

export function envelope(signed: object, signers: Signer[]): Buffer {
  const msg = canonicalJson(JSON.parse(JSON.stringify(signed)));
  return Buffer.from(JSON.stringify({ signed, signatures: signers.map((s) => s.sign(msg)) }));
}

export function fileMeta(bytes: Buffer): { hashes: { sha256: string; sha512: string }; length: number } {
  return {
    hashes: { sha256: createHash('sha256').update(bytes).digest('base64'), sha512: createHash('sha512').update(bytes).digest('base64') },
    length: bytes.length,
  };
}

export const sha256Hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface DelegationSpec {
  name: string;
  signers: Signer[];
  /** Keys listed for the role (default: the signers). */
  keys?: Signer[];
  threshold: number;
  paths: string[];
  /** target name -> content whose sha256 is signed */
  targets: Record<string, string>;
  expires?: string;
  version?: number;
  /** Delegations of this role. */
  children?: DelegationSpec[];
}

export interface RepoSpec {
  gun: string;
  rootSigners: Signer[];
  /** Root keys listed (default: rootSigners). */
  rootKeys?: Signer[];
  rootThreshold?: number;
  rootVersion?: number;
  targetsKey: Signer;
  snapshotKey: Signer;
  timestampKey: Signer;
  targets: Record<string, string>;
  delegations?: DelegationSpec[];
  versions?: { timestamp?: number; snapshot?: number; targets?: number };
  expires?: { root?: string; timestamp?: string; snapshot?: string; targets?: string };
}

const FAR = '2099-01-01T00:00:00Z';

function targetFiles(t: Record<string, string>): Record<string, ReturnType<typeof fileMeta>> {
  return Object.fromEntries(Object.entries(t).map(([name, content]) => [name, fileMeta(Buffer.from(content))]));
}

function delegationsOf(specs: DelegationSpec[] | undefined): object {
  const keys: Record<string, Signer['entry']> = {};
  const roles = (specs ?? []).map((d) => {
    for (const k of d.keys ?? d.signers) keys[k.id] = k.entry;
    return { keyids: (d.keys ?? d.signers).map((k) => k.id), name: d.name, paths: d.paths, threshold: d.threshold };
  });
  return { keys, roles };
}

/** Builds every file of a repository; answers by metadata name as the verifier asks for it. */
export function buildRepo(s: RepoSpec): { files: Map<string, Buffer>; root: Buffer } {
  const files = new Map<string, Buffer>();
  const rootKeys = s.rootKeys ?? s.rootSigners;
  const keys: Record<string, Signer['entry']> = {};
  for (const k of [...rootKeys, s.targetsKey, s.snapshotKey, s.timestampKey]) keys[k.id] = k.entry;
  const role = (k: Signer[], threshold = 1) => ({ keyids: k.map((x) => x.id), threshold });
  const root = envelope({
    _type: 'Root', consistent_snapshot: false, expires: s.expires?.root ?? FAR, keys,
    roles: { root: role(rootKeys, s.rootThreshold), snapshot: role([s.snapshotKey]), targets: role([s.targetsKey]), timestamp: role([s.timestampKey]) },
    version: s.rootVersion ?? 1,
  }, s.rootSigners);
  const targets = envelope({
    _type: 'Targets', delegations: delegationsOf(s.delegations), expires: s.expires?.targets ?? FAR,
    targets: targetFiles(s.targets), version: s.versions?.targets ?? 1,
  }, [s.targetsKey]);
  const meta: Record<string, ReturnType<typeof fileMeta>> = { root: fileMeta(root), targets: fileMeta(targets) };
  const addDelegations = (list: DelegationSpec[] | undefined) => {
    for (const d of list ?? []) {
      const body = envelope({ _type: 'Targets', delegations: delegationsOf(d.children), expires: d.expires ?? FAR, targets: targetFiles(d.targets), version: d.version ?? 1 }, d.signers);
      meta[d.name] = fileMeta(body);
      files.set(`${d.name}.${sha256Hex(body)}`, body);
      addDelegations(d.children);
    }
  };
  addDelegations(s.delegations);
  const snapshot = envelope({ _type: 'Snapshot', expires: s.expires?.snapshot ?? FAR, meta, version: s.versions?.snapshot ?? 1 }, [s.snapshotKey]);
  const timestamp = envelope({ _type: 'Timestamp', expires: s.expires?.timestamp ?? FAR, meta: { snapshot: fileMeta(snapshot) }, version: s.versions?.timestamp ?? 1 }, [s.timestampKey]);
  files.set('root', root);
  files.set(`${s.rootVersion ?? 1}.root`, root);
  files.set('timestamp', timestamp);
  files.set(`snapshot.${sha256Hex(snapshot)}`, snapshot);
  files.set(`targets.${sha256Hex(targets)}`, targets);
  return { files, root };
}
