/**
 * Test-only certificate factory: CAs, intermediates and leaves with chosen usage and validity,
 * plus a fake TLS socket that hands the chain out as node:tls getPeerCertificate(true) does.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import forge from 'node-forge';
import { generateRsaKeyPair } from '../../pki/key-pair.ts';

export interface TestCert {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

export interface CertSpec {
  cn: string;
  isCa?: boolean;
  eku?: 'client' | 'server' | 'none';
  notBefore?: Date;
  notAfter?: Date;
}

let serial = 1;
const NOW = new Date('2030-01-01T00:00:00Z');
export const TEST_NOW = NOW;

/** A certificate for `spec`, signed by `issuer` (self-signed when absent). */
export function makeCert(spec: CertSpec, issuer?: TestCert): TestCert {
  const kp = generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  // Wide default window: covers TEST_NOW and the real clock (real TLS handshakes check it too).
  cert.validity.notBefore = spec.notBefore ?? new Date('2020-01-01T00:00:00Z');
  cert.validity.notAfter = spec.notAfter ?? new Date('2040-01-01T00:00:00Z');
  const subject = [{ name: 'commonName', value: spec.cn }];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  const ext: object[] = [{ name: 'basicConstraints', critical: true, cA: spec.isCa ?? false }];
  if (spec.isCa) ext.push({ name: 'keyUsage', critical: true, keyCertSign: true, digitalSignature: true });
  const eku = spec.eku ?? (spec.isCa ? 'none' : 'client');
  if (eku === 'client') ext.push({ name: 'extKeyUsage', clientAuth: true });
  if (eku === 'server') ext.push({ name: 'extKeyUsage', serverAuth: true });
  cert.setExtensions(ext);
  cert.sign(issuer ? issuer.key : kp.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: kp.keyPem, cert, key: kp.privateKey };
}

interface FakePeer {
  raw: Buffer;
  subject: { CN: string };
  issuerCertificate?: FakePeer;
}

/** A socket whose peer sent `chain` (leaf first); an empty chain is "no certificate". */
export function fakeSocket(chain: readonly TestCert[]): TLSSocket {
  let peer: FakePeer | undefined;
  for (const c of [...chain].reverse()) {
    const x = new X509Certificate(c.certPem);
    const p: FakePeer = { raw: x.raw, subject: { CN: c.cert.subject.getField('CN').value as string } };
    p.issuerCertificate = peer ?? p; // a self-signed top points at itself, as node does
    peer = p;
  }
  return { getPeerCertificate: () => peer ?? {} } as unknown as TLSSocket;
}
