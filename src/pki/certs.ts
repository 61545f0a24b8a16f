import forge from 'node-forge';
import type { CertKeyPem } from './ca.ts';
import { PkiError } from './errors.ts';
import { ipToBytes } from './ip-bytes.ts';
import { generateRsaKeyPair } from './key-pair.ts';
import { loadCa } from './load-ca.ts';
import { newCertificate, type RandomBytes } from './new-certificate.ts';

export type CertUsage = 'server' | 'client';

export interface IssueCertOptions {
  commonName: string;
  /** Subject O entries; Kubernetes reads them as the client's groups. */
  organizations?: string[];
  usage: CertUsage;
  /** Server certs only: added to the default SANs localhost, 127.0.0.1 and ::1. */
  dnsNames?: string[];
  ipAddresses?: string[];
  now: Date;
  validityDays: number;
  random?: RandomBytes;
}

const DEFAULT_DNS_NAMES = ['localhost'];
const DEFAULT_IP_ADDRESSES = ['127.0.0.1', '::1'];
// RFC 1123 labels, optionally a leading wildcard label; anything else is refused rather than encoded.
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A leaf certificate signed by `ca`, with a fresh RSA-2048 key. */
export function issueCert(ca: CertKeyPem, opts: IssueCertOptions): CertKeyPem {
  if (opts.commonName === '') throw new PkiError('InvalidOptions', 'commonName must not be empty');
  if (opts.usage !== 'server' && opts.usage !== 'client') {
    throw new PkiError('InvalidOptions', `usage must be "server" or "client", got ${JSON.stringify(opts.usage)}`);
  }
  if (opts.usage === 'client' && (opts.dnsNames?.length || opts.ipAddresses?.length)) {
    // A client cert with SANs would also be a valid server identity for those names if anyone ever
    // trusted it as one; keep the two roles apart.
    throw new PkiError('InvalidOptions', 'client certificates take no dnsNames or ipAddresses');
  }
  // Check names before the (comparatively slow) key generation.
  const altNames = opts.usage === 'server' ? serverAltNames(opts) : undefined;
  const authority = loadCa(ca);
  const key = generateRsaKeyPair();
  const subject: forge.pki.CertificateField[] = [
    ...(opts.organizations ?? []).map((o) => ({ name: 'organizationName', value: o })),
    { name: 'commonName', value: opts.commonName },
  ];
  const cert = newCertificate({ publicKey: key.publicKey, subject, now: opts.now, validityDays: opts.validityDays, random: opts.random });
  cert.setIssuer(authority.cert.subject.attributes);

  const extensions: object[] = [
    { name: 'basicConstraints', critical: true, cA: false },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    opts.usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: authority.cert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (altNames) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  cert.sign(authority.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.keyPem };
}

function serverAltNames(opts: IssueCertOptions): { type: number; value: string }[] {
  const dnsNames = unique([...DEFAULT_DNS_NAMES, ...(opts.dnsNames ?? [])].map((n) => n.toLowerCase()));
  for (const name of dnsNames) {
    if (!DNS_NAME.test(name) || name.length > 253) throw new PkiError('InvalidOptions', `not a DNS name: ${JSON.stringify(name)}`);
  }
  // Dedupe on the bytes so "::1" and "0:0:0:0:0:0:0:1" do not both appear.
  const ipBytes = unique([...DEFAULT_IP_ADDRESSES, ...(opts.ipAddresses ?? [])].map((ip) => ipToBytes(ip).toString('binary')));
  return [
    ...dnsNames.map((value) => ({ type: 2, value })), // dNSName
    ...ipBytes.map((value) => ({ type: 7, value })), // iPAddress, raw network-order bytes
  ];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
