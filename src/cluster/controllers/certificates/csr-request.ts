/**
 * What the certificate controllers read from a CertificateSigningRequest: its approval state
 * (certificates.GetCertApprovalCondition) and the x509 request itself, parsed far enough to judge
 * it (subject CN and O, subjectAltNames) and to issue a certificate for it (the subject and
 * public key exactly as requested). The self-signature is checked with the API's own PKCS#10
 * reader, so a request is believed only when signed by the key it names.
 */
import forge from 'node-forge';
import type { K8sObject } from '../../client/types.ts';
import { checkCsrSignature, parseCsr } from '../../../api/validation/certificates/pkcs10.ts';
import { NODE_NETWORK_GROUP, NODE_NETWORK_USER_PREFIX } from './node-network-names.ts';

export type Csr = K8sObject;

export const SIGNER_KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const SIGNER_KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SIGNER_KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
export { NODE_NETWORK_GROUP, NODE_NETWORK_USER_PREFIX, SIGNER_NODE_NETWORK_CLIENT } from './node-network-names.ts';

interface Condition {
  type: string;
  status: string;
}

const conditionsOf = (csr: Csr): Condition[] => (Array.isArray(csr.status?.conditions) ? csr.status.conditions : []);
export const hasTrueCondition = (csr: Csr, type: string): boolean => conditionsOf(csr).some((c) => c.type === type && c.status === 'True');
export const isApproved = (csr: Csr): boolean => hasTrueCondition(csr, 'Approved') && !hasTrueCondition(csr, 'Denied');
export const hasCertificate = (csr: Csr): boolean => typeof csr.status?.certificate === 'string' && csr.status.certificate.length > 0;

export interface X509Request {
  /** The last CN, as Go's pkix.Name (and the API server's x509 authenticator) reads it. */
  commonName: string;
  /** How many CNs the subject has (the approver recognizes only requests with one). */
  commonNameCount: number;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  /** DER of the subject Name and of the SubjectPublicKeyInfo, as requested. */
  subjectDer: string;
  spkiDer: string;
}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';

type Asn1 = forge.asn1.Asn1;
const kids = (a: Asn1 | undefined): Asn1[] => (a && Array.isArray(a.value) ? (a.value as Asn1[]) : []);
const bytesOf = (a: Asn1 | undefined): string => (a && typeof a.value === 'string' ? a.value : '');

function ipFromBytes(b: string): string {
  if (b.length === 4) return [...b].map((c) => c.charCodeAt(0)).join('.');
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 2) parts.push(((b.charCodeAt(i) << 8) | b.charCodeAt(i + 1)).toString(16));
  return parts.join(':');
}

/** capihelper.ParseCSR: spec.request (base64 of PEM) → the request; throws on anything malformed. */
export function parseRequest(requestB64: unknown): X509Request {
  if (typeof requestB64 !== 'string') throw new Error('PEM block type must be CERTIFICATE REQUEST');
  const pem = Buffer.from(requestB64, 'base64').toString('utf8');
  checkCsrSignature(parseCsr(pem));
  const block = forge.pem.decode(pem).find((b) => b.type === 'CERTIFICATE REQUEST');
  if (!block) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  const top = forge.asn1.fromDer(block.body, { strict: true, decodeBitStrings: false } as never);
  const info = kids(top)[0];
  const [, subject, spki, attrs] = kids(info);
  const out: X509Request = { commonName: '', commonNameCount: 0, organizations: [], dnsNames: [], ipAddresses: [], emailAddresses: [], uris: [], subjectDer: forge.asn1.toDer(subject!).getBytes(), spkiDer: forge.asn1.toDer(spki!).getBytes() };
  for (const rdn of kids(subject)) {
    for (const atv of kids(rdn)) {
      const [type, value] = kids(atv);
      const oid = forge.asn1.derToOid(bytesOf(type));
      const text = forge.util.decodeUtf8(bytesOf(value));
      if (oid === OID_CN) {
        out.commonName = text;
        out.commonNameCount++;
      } else if (oid === OID_O) out.organizations.push(text);
    }
  }
  for (const attr of kids(attrs)) {
    const [type, values] = kids(attr);
    if (forge.asn1.derToOid(bytesOf(type)) !== OID_EXTENSION_REQUEST) continue;
    for (const ext of kids(kids(values)[0])) {
      const parts = kids(ext);
      if (forge.asn1.derToOid(bytesOf(parts[0])) !== OID_SAN) continue;
      const names = forge.asn1.fromDer(bytesOf(parts[parts.length - 1]));
      for (const gn of kids(names)) {
        const v = bytesOf(gn);
        if (gn.type === 2) out.dnsNames.push(v);
        else if (gn.type === 7) out.ipAddresses.push(ipFromBytes(v));
        else if (gn.type === 1) out.emailAddresses.push(v);
        else if (gn.type === 6) out.uris.push(v);
      }
    }
  }
  return out;
}

const KUBELET_CLIENT_USAGES = [['client auth', 'digital signature', 'key encipherment'], ['client auth', 'digital signature']];
const KUBELET_SERVING_USAGES = [['digital signature', 'key encipherment', 'server auth'], ['digital signature', 'server auth']];

function sameUsages(usages: readonly string[], allowed: readonly string[][]): boolean {
  const set = [...new Set(usages)].sort();
  return allowed.some((a) => a.length === set.length && a.every((u, i) => u === set[i]));
}

const systemNodesOnly = (r: X509Request) => r.organizations.length === 1 && r.organizations[0] === 'system:nodes';

/** A client certificate of one organization with a CN prefix and no subjectAltNames (ValidateKubeletClientCSR's shape). */
function clientSubjectError(r: X509Request, usages: readonly string[], organization: string, cnPrefix: string): string | undefined {
  if (r.organizations.length !== 1 || r.organizations[0] !== organization) return `subject organization is not ${organization}`;
  if (r.dnsNames.length) return 'DNS subjectAltNames are not allowed';
  if (r.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (r.ipAddresses.length) return 'IP subjectAltNames are not allowed';
  if (r.uris.length) return 'URI subjectAltNames are not allowed';
  if (!r.commonName.startsWith(cnPrefix)) return `subject common name does not begin with ${cnPrefix}`;
  if (!sameUsages(usages, KUBELET_CLIENT_USAGES)) return `usages did not match [${KUBELET_CLIENT_USAGES[0]!.join(' ')}]`;
  return undefined;
}

/** ValidateKubeletClientCSR (pkg/apis/certificates/helpers.go); undefined when valid. */
export function kubeletClientError(r: X509Request, usages: readonly string[]): string | undefined {
  return clientSubjectError(r, usages, 'system:nodes', 'system:node:');
}

/** The node network signer's rules: the kubelet client's, for system:node-network:<node> in system:node-networks. */
export function nodeNetworkClientError(r: X509Request, usages: readonly string[]): string | undefined {
  const invalid = clientSubjectError(r, usages, NODE_NETWORK_GROUP, NODE_NETWORK_USER_PREFIX);
  if (invalid) return invalid;
  if (r.commonName.length === NODE_NETWORK_USER_PREFIX.length) return 'subject common name names no node';
  return undefined;
}

/** ValidateKubeletServingCSR; undefined when valid. */
export function kubeletServingError(r: X509Request, usages: readonly string[]): string | undefined {
  if (!systemNodesOnly(r)) return 'subject organization is not system:nodes';
  if (!r.dnsNames.length && !r.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  if (r.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (r.uris.length) return 'URI subjectAltNames are not allowed';
  if (!sameUsages(usages, KUBELET_SERVING_USAGES)) return `usages did not match [${KUBELET_SERVING_USAGES[0]!.join(' ')}]`;
  if (!r.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** validAPIServerClientUsages: client auth required, digital signature and key encipherment optional. */
export function apiServerClientError(usages: readonly string[]): string | undefined {
  for (const u of usages) if (u !== 'digital signature' && u !== 'key encipherment' && u !== 'client auth') return `invalid usage for client certificate: ${u}`;
  if (!usages.includes('client auth')) return 'missing required usage for client certificate: client auth';
  return undefined;
}
