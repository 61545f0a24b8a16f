/**
 * The node's certificates as the kubelet keeps them: a key and a PKCS#10 request for
 * `system:node:<name>` in `system:nodes` (client: kube-apiserver-client-kubelet; serving:
 * kubelet-serving with the node's names and addresses), and the issued certificate stored beside
 * its key in one PEM file under <data-dir>/pki (kubelet-client-current.pem,
 * kubelet-server-current.pem), mode 0600, written atomically.
 *
 * Keys are RSA-2048 (node-forge signs requests with RSA only; the kubelet uses ECDSA P-256), so
 * the usages are the RSA ones: digital signature, key encipherment, client auth / server auth.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { generateRsaKeyPair } from '../../pki/key-pair.ts';
import { writeFileAtomic } from '../../pki/write-file-atomic.ts';

export const SIGNER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SIGNER_KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
export const CLIENT_USAGES = Object.freeze(['digital signature', 'key encipherment', 'client auth']);
export const SERVING_USAGES = Object.freeze(['digital signature', 'key encipherment', 'server auth']);

export type CertKind = 'client' | 'server';

export interface NodeCertRequest {
  /** spec.request: base64 of the PEM request. */
  request: string;
  keyPem: string;
}

export interface StoredCert {
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * A request for the node's client (no SANs) or serving (SANs) certificate, with a new key or
 * `keyPem` (the same key gives the same bytes: RSA PKCS#1 v1.5 signatures are deterministic).
 */
export function nodeCertRequest(nodeName: string, sans?: { dnsNames: string[]; ipAddresses: string[] }, keyPem?: string): NodeCertRequest {
  let key: { keyPem: string; privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey };
  if (keyPem) {
    const privateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
    key = { keyPem, privateKey, publicKey: forge.pki.setRsaPublicKey(privateKey.n, privateKey.e) };
  } else {
    key = generateRsaKeyPair();
  }
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = key.publicKey;
  csr.setSubject([{ name: 'organizationName', value: 'system:nodes' }, { name: 'commonName', value: `system:node:${nodeName}` }]);
  if (sans && (sans.dnsNames.length || sans.ipAddresses.length)) {
    const altNames = [...sans.dnsNames.map((value) => ({ type: 2, value })), ...sans.ipAddresses.map((ip) => ({ type: 7, ip }))];
    csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames }] }]);
  }
  csr.sign(key.privateKey, forge.md.sha256.create());
  return { request: Buffer.from(forge.pki.certificationRequestToPem(csr)).toString('base64'), keyPem: key.keyPem };
}

/** Where a kind of certificate lives under the agent's data directory. */
export function certPath(dataDir: string, kind: CertKind): string {
  return join(dataDir, 'pki', `kubelet-${kind}-current.pem`);
}

/** The validity of the first certificate in `certPem`. */
export function validity(certPem: string): { notBefore: Date; notAfter: Date } {
  const cert = forge.pki.certificateFromPem(certPem);
  return { notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
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
