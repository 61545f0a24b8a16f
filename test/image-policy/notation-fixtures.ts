/**
 * A private code signing PKI for the Notation tests: an RSA root CA, an intermediate, and leaf
 * certificates with the subject, validity and extensions a case needs (node-forge signs
 * certificates with RSA keys only; Notation allows RSA 2048 with PS256).
 */
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

export interface TestCert {
  cert: X509Certificate;
  key: KeyObject;
  pem: string;
  forgeCert: forge.pki.Certificate;
  forgeKey: forge.pki.rsa.PrivateKey;
}

export interface CertOptions {
  subject: Record<string, string>; // short names: C, ST, L, O, OU, CN
  issuer?: TestCert;
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** Leaf extensions: default keyUsage digitalSignature (critical) and EKU codeSigning. */
  extKeyUsage?: 'codeSigning' | 'serverAuth' | 'none';
  crlUrl?: string;
}

let serial = 1;

export function makeCert(o: CertOptions): TestCert {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const c = forge.pki.createCertificate();
  c.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  c.serialNumber = (serial++).toString(16).padStart(2, '0');
  const now = Date.now();
  c.validity.notBefore = o.notBefore ?? new Date(now - 3600_000);
  c.validity.notAfter = o.notAfter ?? new Date(now + 24 * 3600_000);
  const subject = Object.entries(o.subject).map(([shortName, value]) => ({ shortName, value }));
  c.setSubject(subject);
  c.setIssuer(o.issuer ? o.issuer.forgeCert.subject.attributes : subject);
  const ext: any[] = o.ca
    ? [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }]
    : [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, critical: true }];
  if (!o.ca && o.extKeyUsage !== 'none') ext.push({ name: 'extKeyUsage', [o.extKeyUsage ?? 'codeSigning']: true });
  if (o.crlUrl) ext.push({ name: 'cRLDistributionPoints', altNames: [{ type: 6, value: o.crlUrl }] });
  c.setExtensions(ext);
  c.sign(o.issuer?.forgeKey ?? forgeKey, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(c);
  return { cert: new X509Certificate(pem), key: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })), pem, forgeCert: c, forgeKey };
}

/** A root, an intermediate under it, and a signing leaf under that. */
export function makePki(org: string, leafSubject: Record<string, string> = { C: 'US', ST: 'WA', O: org, CN: 'builder' }): { root: TestCert; intermediate: TestCert; leaf: TestCert; chain: X509Certificate[] } {
  const root = makeCert({ subject: { C: 'US', O: org, CN: `${org} root` }, ca: true });
  const intermediate = makeCert({ subject: { C: 'US', O: org, CN: `${org} intermediate` }, ca: true, issuer: root });
  const leaf = makeCert({ subject: leafSubject, issuer: intermediate });
  return { root, intermediate, leaf, chain: [leaf.cert, intermediate.cert, root.cert] };
}
