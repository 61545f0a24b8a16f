/**
 * The node's certificates as the kubelet keeps them: a key and a PKCS#10 request for
 * `system:node:<name>` in `system:nodes` (client: kube-apiserver-client-kubelet; serving:
 * kubelet-serving with the node's names and addresses), and the issued certificate stored beside
 * its key in one PEM file under <data-dir>/pki (kubelet-client-current.pem,
 * kubelet-server-current.pem), mode 0600, written atomically.
 *
 * Keys are ECDSA P-256 as client-go's certificate manager makes them (generateKeyFuncImpl), kept
 * as SEC1 "EC PRIVATE KEY" PEM (keyutil.MarshalPrivateKeyToPEM), and the usages are its
 * non-RSA ones (DefaultKubelet{Client,Serving}GetUsages): no key encipherment, which an ECDSA key
 * cannot do. The request is assembled as DER here (pki/der.ts: node-forge builds RSA requests
 * only, and would be ~2.2 MiB of the agent's heap) and signed ecdsa-with-SHA256 by node:crypto.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { derBitString, derContext, derOctetString, derOid, derSequence, derSet, derSmallInteger, derUtf8, pemEncode } from '../../pki/der.ts';
import { ipToBytes } from '../../pki/ip-bytes.ts';
import { writeFileAtomic } from '../../pki/write-file-atomic.ts';

export const SIGNER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SIGNER_KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
export const CLIENT_USAGES = Object.freeze(['digital signature', 'client auth']);
export const SERVING_USAGES = Object.freeze(['digital signature', 'server auth']);

/** The kubelet's client and serving certificates, and the network plugin's client certificate (network-identity.ts). */
export type CertKind = 'client' | 'server' | 'network';

export interface NodeCertRequest {
  /** spec.request: base64 of the PEM request. */
  request: string;
  keyPem: string;
  /** DER SubjectPublicKeyInfo of the key (the bootstrap request's digested name is made from it). */
  publicKeyDer: Buffer;
  subject: { commonName: string; organizations: string[] };
}

export interface StoredCert {
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';

/** x509.CreateCertificateRequest for an ECDSA key: O then CN, SANs as an extensionRequest. */
function buildRequest(key: KeyObject, publicKeyDer: Buffer, subject: NodeCertRequest['subject'], sans?: { dnsNames: string[]; ipAddresses: string[] }): string {
  const rdn = (type: string, value: string) => derSet([derSequence([derOid(type), derUtf8(value)])]);
  const name = derSequence([...subject.organizations.map((o) => rdn(OID_O, o)), rdn(OID_CN, subject.commonName)]);
  const attrs: Buffer[] = [];
  if (sans && (sans.dnsNames.length || sans.ipAddresses.length)) {
    // GeneralName dNSName [2] and iPAddress [7], implicitly tagged.
    const names = derSequence([...sans.dnsNames.map((n) => derContext(2, false, Buffer.from(n, 'latin1'))), ...sans.ipAddresses.map((ip) => derContext(7, false, ipToBytes(ip)))]);
    const ext = derSequence([derOid(OID_SAN), derOctetString(names)]);
    attrs.push(derSequence([derOid(OID_EXTENSION_REQUEST), derSet([derSequence([ext])])]));
  }
  const infoDer = derSequence([derSmallInteger(0), name, publicKeyDer, derContext(0, true, Buffer.concat(attrs))]);
  // DER-encoded ECDSA-Sig-Value, as x509 wants it (node's default dsaEncoding).
  const signature = sign('sha256', infoDer, key);
  return pemEncode('CERTIFICATE REQUEST', derSequence([infoDer, derSequence([derOid(OID_ECDSA_SHA256)]), derBitString(signature)]));
}

/** The kubelet's subject: system:node:<name> in system:nodes. */
export const nodeSubject = (nodeName: string): NodeCertRequest['subject'] => ({ commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] });

/**
 * A request for the node's client (no SANs) or serving (SANs) certificate, with a new P-256 key or
 * `keyPem` (an earlier attempt's key: the bootstrap request is then found again by its name).
 */
export function nodeCertRequest(nodeName: string, sans?: { dnsNames: string[]; ipAddresses: string[] }, keyPem?: string): NodeCertRequest {
  return certRequest(nodeSubject(nodeName), sans, keyPem);
}

/** A request for `subject` (the node's, or its network plugin's), as nodeCertRequest. */
export function certRequest(subject: NodeCertRequest['subject'], sans?: { dnsNames: string[]; ipAddresses: string[] }, keyPem?: string): NodeCertRequest {
  let key: KeyObject | undefined = keyPem ? createPrivateKey(keyPem) : undefined;
  // A leftover RSA key of an earlier version's interrupted bootstrap is replaced, not reused.
  if (!keyPem || key?.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    keyPem = key.export({ type: 'sec1', format: 'pem' }) as string;
  }
  const publicKeyDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const pem = buildRequest(key, publicKeyDer, subject, sans);
  return { request: Buffer.from(pem).toString('base64'), keyPem, publicKeyDer, subject };
}

/** Where a kind of certificate lives under the agent's data directory. */
export function certPath(dataDir: string, kind: CertKind): string {
  return join(dataDir, 'pki', kind === 'network' ? 'node-network-client-current.pem' : `kubelet-${kind}-current.pem`);
}

/** The validity of the first certificate in `certPem`. */
export function validity(certPem: string): { notBefore: Date; notAfter: Date } {
  // node:crypto, not forge: forge reads RSA certificates only.
  const cert = new X509Certificate(certPem);
  return { notBefore: cert.validFromDate, notAfter: cert.validToDate };
}

/** Writes the certificate (chain) and its key as one file, 0600, replacing the previous one atomically. */
export function storeCert(dataDir: string, kind: CertKind, certPem: string, keyPem: string): StoredCert {
  mkdirSync(join(dataDir, 'pki'), { recursive: true, mode: 0o700 });
  const text = `${certPem.trim()}\n${keyPem.trim()}\n`;
  writeFileAtomic(certPath(dataDir, kind), text, 0o600);
  return { certPem: certPem.trim() + '\n', keyPem: keyPem.trim() + '\n', ...validity(certPem) };
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (RSA |EC )?PRIVATE KEY-----/;

/**
 * The stored certificate, if there is one that is whole and not yet expired at `now` (as the
 * kubelet's bootstrap: an expired or unreadable certificate means bootstrapping again).
 */
export function loadCert(dataDir: string, kind: CertKind, now: Date): StoredCert | undefined {
  const p = certPath(dataDir, kind);
  if (!existsSync(p)) return undefined;
  const text = readFileSync(p, 'utf8');
  const certs = text.match(CERT_BLOCK);
  const key = KEY_BLOCK.exec(text)?.[0];
  if (!certs?.length || !key) return undefined;
  try {
    const v = validity(certs[0]!);
    if (v.notAfter.getTime() <= now.getTime()) return undefined;
    return { certPem: `${certs.join('\n')}\n`, keyPem: `${key}\n`, ...v };
  } catch {
    return undefined;
  }
}
