/**
 * A private Sigstore instance for tests, offline: a Fulcio-like CA (RSA root issuing short-lived
 * certificates with the SAN and the Fulcio issuer extension), a Rekor-like log key that signs
 * inclusion promises (SETs) over real tlog bodies, and the trusted_root.json that names both.
 * Bundles are v0.1 (inclusion promise, no Merkle inclusion proof: there is no log tree here) and
 * are checked by the unmodified verifier like any other; nothing is skipped for them.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
export { attachBundle, keyBundle } from '../../src/image-policy/verifiers/sigstore/attach-bundle.ts';
import forge from 'node-forge';

export interface Identity {
  subject: string;
  issuer: string;
}

export interface InTotoStatementInput {
  subjectName: string;
  digest: string; // sha256:<hex>
  predicateType: string;
  predicate: unknown;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';

/** JSON with sorted keys (RFC 8785 for the plain values used here), as Rekor's SET payload. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function rsaPair(): { key: KeyObject; forgePriv: forge.pki.rsa.PrivateKey; forgePub: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    key: privateKey,
    forgePriv: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    forgePub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey,
  };
}

const der = (c: forge.pki.Certificate) => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), 'binary');

export class TestSigstore {
  readonly #ca = rsaPair();
  readonly #caCert: forge.pki.Certificate;
  readonly #log = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly #logId: Buffer;
  #index = 0;
  readonly trustedRootJson: string;

  constructor(name = 'test') {
    const now = Date.now();
    const c = forge.pki.createCertificate();
    c.publicKey = this.#ca.forgePub;
    c.serialNumber = '01';
    c.validity.notBefore = new Date(now - 3600_000);
    c.validity.notAfter = new Date(now + 24 * 3600_000);
    const subject = [{ name: 'commonName', value: `${name}-fulcio` }, { name: 'organizationName', value: name }];
    c.setSubject(subject);
    c.setIssuer(subject);
    c.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }]);
    c.sign(this.#ca.forgePriv, forge.md.sha256.create());
    this.#caCert = c;
    const spki = this.#log.publicKey.export({ type: 'spki', format: 'der' });
    this.#logId = sha256(spki);
    const start = new Date(now - 3600_000).toISOString();
    this.trustedRootJson = JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: `https://rekor.${name}.invalid`, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: b64(spki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } }, logId: { keyId: b64(this.#logId) } }],
      certificateAuthorities: [{ subject: { organization: name, commonName: `${name}-fulcio` }, uri: `https://fulcio.${name}.invalid`, certChain: { certificates: [{ rawBytes: b64(der(c)) }] }, validFor: { start } }],
      ctlogs: [],
      timestampAuthorities: [],
    });
  }

  /** A Fulcio-style leaf for `who`, valid ten minutes around now, and its private key. */
  #leaf(who: Identity): { key: KeyObject; certDer: Buffer; certPem: string } {
    const leaf = rsaPair();
    const c = forge.pki.createCertificate();
    c.publicKey = leaf.forgePub;
    c.serialNumber = `01${randomBytes(8).toString('hex')}`;
    const now = Date.now();
    c.validity.notBefore = new Date(now - 60_000);
    c.validity.notAfter = new Date(now + 600_000);
    c.setSubject([]);
    c.setIssuer(this.#caCert.subject.attributes);
    const san = who.subject.includes('@') && !who.subject.includes('://') ? { type: 1, value: who.subject } : { type: 6, value: who.subject };
    c.setExtensions([
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', codeSigning: true },
      { name: 'subjectAltName', altNames: [san], critical: true },
      { id: FULCIO_ISSUER_V1, value: who.issuer },
    ]);
    c.sign(this.#ca.forgePriv, forge.md.sha256.create());
    const certDer = der(c);
    return { key: createPrivateKey(leaf.key.export({ type: 'pkcs8', format: 'pem' })), certDer, certPem: forge.pki.certificateToPem(c) };
  }

  /** A tlog entry for `body`, its inclusion promise signed by the log key. */
  #tlogEntry(kind: string, body: unknown) {
    const canonicalized = Buffer.from(canonical(body));
    const integratedTime = Math.floor(Date.now() / 1000);
    const logIndex = ++this.#index;
    const set = sign('sha256', Buffer.from(canonical({ body: b64(canonicalized), integratedTime, logID: this.#logId.toString('hex'), logIndex })), this.#log.privateKey);
    return { logIndex: String(logIndex), logId: { keyId: b64(this.#logId) }, kindVersion: { kind, version: '0.0.1' }, integratedTime: String(integratedTime), inclusionPromise: { signedEntryTimestamp: b64(set) }, canonicalizedBody: b64(canonicalized) };
  }

  /** cosign attest's form: an in-toto statement in a DSSE envelope. */
  attest(who: Identity, st: InTotoStatementInput): unknown {
    const { key, certDer, certPem } = this.#leaf(who);
    const payloadType = 'application/vnd.in-toto+json';
    const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: st.subjectName, digest: { sha256: st.digest.replace(/^sha256:/, '') } }], predicateType: st.predicateType, predicate: st.predicate }));
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `), payload]);
    const sig = sign('sha256', pae, key);
    const envelope = { payload: b64(payload), payloadType, signatures: [{ sig: b64(sig), keyid: '' }] };
    const body = { apiVersion: '0.0.1', kind: 'dsse', spec: { envelopeHash: { algorithm: 'sha256', value: sha256(JSON.stringify(envelope)).toString('hex') }, payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') }, signatures: [{ signature: b64(sig), verifier: b64(certPem) }] } };
    return this.#bundle(certDer, this.#tlogEntry('dsse', body), { dsseEnvelope: envelope });
  }

  /** A hashedrekord message signature over `artifact` (for an image: its manifest's bytes). */
  signArtifact(who: Identity, artifact: Buffer): unknown {
    const { key, certDer, certPem } = this.#leaf(who);
    const sig = sign('sha256', artifact, key);
    const digest = sha256(artifact);
    const body = { apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } }, signature: { content: b64(sig), publicKey: { content: b64(certPem) } } } };
    return this.#bundle(certDer, this.#tlogEntry('hashedrekord', body), { messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: b64(digest) }, signature: b64(sig) } });
  }

  #bundle(certDer: Buffer, entry: unknown, content: Record<string, unknown>): unknown {
    return { mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1', verificationMaterial: { x509CertificateChain: { certificates: [{ rawBytes: b64(certDer) }] }, tlogEntries: [entry] }, ...content };
  }
}
