import forge from 'node-forge';
import type { CertKeyPem } from './ca.ts';
import { PkiError } from './errors.ts';
import { ipToBytes } from './ip-bytes.ts';
import { generateEcKey, generateEcKeyAsync, generateRsaKey, generateRsaKeyAsync, type EcKey, type RsaKey } from './key-pair.ts';
import { loadCa } from './load-ca.ts';
import { newCertificate, type RandomBytes } from './new-certificate.ts';
import { signCertificate } from './sign-certificate.ts';

export type CertUsage = 'server' | 'client';

/** kubeadm's encryptionAlgorithm names; the CA signs sha256WithRSAEncryption either way. */
export type KeyAlgorithm = 'RSA-2048' | 'ECDSA-P256';

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
  /** Default RSA-2048 (what the files `portcullis up` writes hold). */
  keyAlgorithm?: KeyAlgorithm;
}

const DEFAULT_DNS_NAMES = ['localhost'];
const DEFAULT_IP_ADDRESSES = ['127.0.0.1', '::1'];
// RFC 1123 labels, optionally a leading wildcard label; anything else is refused rather than encoded.
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * A leaf certificate signed by `ca`, with a fresh key generated on this thread (an RSA-2048 key
 * is some 65 ms of blocked event loop): for start-up and one-off tools. Anything minted while a
 * server or a controller is running uses issueCertAsync.
 */
export function issueCert(ca: CertKeyPem, opts: IssueCertOptions): CertKeyPem {
  const finish = prepareLeaf(ca, opts);
  return finish(opts.keyAlgorithm === 'ECDSA-P256' ? generateEcKey() : generateRsaKey());
}

/** issueCert with the key generated on libuv's thread pool; only the ~1 ms of assembly and signing runs here. */
export async function issueCertAsync(ca: CertKeyPem, opts: IssueCertOptions): Promise<CertKeyPem> {
  const finish = prepareLeaf(ca, opts);
  return finish(opts.keyAlgorithm === 'ECDSA-P256' ? await generateEcKeyAsync() : await generateRsaKeyAsync());
}

/** Checks the options and the CA before the (comparatively slow) key generation; answers the signing step. */
function prepareLeaf(ca: CertKeyPem, opts: IssueCertOptions): (key: RsaKey | EcKey) => CertKeyPem {
  if (opts.keyAlgorithm !== undefined && opts.keyAlgorithm !== 'RSA-2048' && opts.keyAlgorithm !== 'ECDSA-P256') {
    throw new PkiError('InvalidOptions', `keyAlgorithm must be "RSA-2048" or "ECDSA-P256", got ${JSON.stringify(opts.keyAlgorithm)}`);
  }
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
    const rsa = 'publicKey' in key;
    // An ECDSA key is put in at signing (forge holds RSA keys only); the CA's key stands in until then.
    const publicKey = rsa ? key.publicKey : (authority.cert.publicKey as forge.pki.rsa.PublicKey);
    const cert = newCertificate({ publicKey, subject, now: opts.now, validityDays: opts.validityDays, random: opts.random });
    cert.setIssuer(authority.cert.subject.attributes);

    const extensions: object[] = [
      { name: 'basicConstraints', critical: true, cA: false },
      // keyEncipherment is RSA key transport; an ECDSA key signs only (RFC 5480 section 3, Go's generate_cert).
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: rsa },
      opts.usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      rsa ? { name: 'subjectKeyIdentifier' } : { name: 'subjectKeyIdentifier', value: forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, subjectKeyId(key.spkiDer)) },
      { name: 'authorityKeyIdentifier', keyIdentifier: authority.cert.generateSubjectKeyIdentifier().getBytes() },
    ];
    if (altNames) extensions.push({ name: 'subjectAltName', altNames });
    cert.setExtensions(extensions);
    signCertificate(cert, authority.key, rsa ? undefined : key.spkiDer);
    return { certPem: forge.pki.certificateToPem(cert), keyPem: key.keyPem };
  };
}

/** RFC 5280 4.2.1.2 method 1, as forge computes it for RSA: SHA-1 of the subjectPublicKey BIT STRING's bits. */
function subjectKeyId(spkiDer: string): string {
  const spki = forge.asn1.fromDer(spkiDer, { strict: true, decodeBitStrings: false } as never);
  const bits = (spki.value as forge.asn1.Asn1[])[1]!.value as string;
  return forge.md.sha1.create().update(bits.slice(1)).digest().getBytes();
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
