import forge from 'node-forge';
import type { CertKeyPem } from './ca.ts';
import { PkiError } from './errors.ts';
import { ipToBytes } from './ip-bytes.ts';
import { generateRsaKey, generateRsaKeyAsync, type RsaKey } from './key-pair.ts';
import { loadCa } from './load-ca.ts';
import { newCertificate, type RandomBytes } from './new-certificate.ts';
import { signCertificate } from './sign-certificate.ts';

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

/**
 * A leaf certificate signed by `ca`, with a fresh RSA-2048 key generated on this thread (some
 * 65 ms of blocked event loop): for start-up and one-off tools. Anything minted while a server or
 * a controller is running uses issueCertAsync.
 */
export function issueCert(ca: CertKeyPem, opts: IssueCertOptions): CertKeyPem {
  return prepareLeaf(ca, opts)(generateRsaKey());
}

/** issueCert with the key generated on libuv's thread pool; only the ~1 ms of assembly and signing runs here. */
export async function issueCertAsync(ca: CertKeyPem, opts: IssueCertOptions): Promise<CertKeyPem> {
  const finish = prepareLeaf(ca, opts);
  return finish(await generateRsaKeyAsync());
}

/** Checks the options and the CA before the (comparatively slow) key generation; answers the signing step. */
function prepareLeaf(ca: CertKeyPem, opts: IssueCertOptions): (key: RsaKey) => CertKeyPem {
  if (opts.commonName === '') throw new PkiError('InvalidOptions', 'commonName must not be empty');
  if (opts.usage !== 'server' && opts.usage !== 'client') {
    throw new PkiError('InvalidOptions', `usage must be "server" or "client", got ${JSON.stringify(opts.usage)}`);
  }
  if (opts.usage === 'client' && (opts.dnsNames?.length || opts.ipAddresses?.length)) {
    // A client cert with SANs would also be a valid server identity for those names if anyone ever
    // trusted it as one; keep the two roles apart.
    throw new PkiError('InvalidOptions', 'client certificates take no dnsNames or ipAddresses');
  }
  const altNames = opts.usage === 'server' ? serverAltNames(opts) : undefined;
  const authority = loadCa(ca);
  return (key) => {
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
    signCertificate(cert, authority.key);
    return { certPem: forge.pki.certificateToPem(cert), keyPem: key.keyPem };
  };
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
