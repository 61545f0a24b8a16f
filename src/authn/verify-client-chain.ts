/**
 * Verifies a TLS peer's certificate chain against a CA bundle of our choosing, independent of the
 * CAs the TLS layer was given. Needed wherever one listener trusts several CAs for different
 * purposes (client CA vs request-header proxy CA): `socket.authorized` only says "some CA in the
 * server's list", never which one. Follows Go's x509.Verify for client certificates: every
 * signature, CA basic constraint on intermediates, clientAuth (or any / absent) extended key usage,
 * and validity windows along the whole chain including the root.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';

export const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EKU_OID = '2.5.29.37.0';
const MAX_CHAIN = 8;

/** All certificates in a PEM bundle; throws when there are none or one does not parse. */
export function parseCaBundle(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${what}: no PEM certificates found`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`${what}: certificate ${i + 1} does not parse: ${(err as Error).message}`);
    }
  });
}

/** The chain the peer sent, leaf first, from `getPeerCertificate(true)`; empty when no certificate. */
export function presentedChain(peer: DetailedPeerCertificate | Record<string, never> | undefined): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  let cur = peer as DetailedPeerCertificate | undefined;
  while (cur && cur.raw && !seen.has(cur) && out.length < MAX_CHAIN) {
    seen.add(cur);
    out.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate;
  }
  return out;
}

export type ChainVerdict =
  | { ok: true; leaf: X509Certificate; notBefore: number; notAfter: number }
  | { ok: false; reason: string };

/**
 * Signature chain from the leaf to one of `roots`, using the presented certificates as
 * intermediates. The returned window is the intersection of every certificate's validity, so the
 * verdict can be cached per connection and only the clock re-checked per request.
 */
export function verifyClientChain(presented: readonly X509Certificate[], roots: readonly X509Certificate[]): ChainVerdict {
  const leaf = presented[0];
  if (!leaf) return { ok: false, reason: 'no client certificate' };
  let notBefore = -Infinity;
  let notAfter = Infinity;
  const narrow = (c: X509Certificate): void => {
    notBefore = Math.max(notBefore, c.validFromDate.getTime());
    notAfter = Math.min(notAfter, c.validToDate.getTime());
  };
  const used = new Set<X509Certificate>();
  let cur = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    narrow(cur);
    if (!ekuAllowsClientAuth(cur)) return { ok: false, reason: 'x509: certificate specifies an incompatible key usage' };
    used.add(cur);
    const root = roots.find((r) => r.raw.equals(cur.raw) || issuedBy(cur, r));
    if (root) {
      narrow(root);
      if (!ekuAllowsClientAuth(root)) return { ok: false, reason: 'x509: certificate specifies an incompatible key usage' };
      return { ok: true, leaf, notBefore, notAfter };
    }
    const next = presented.find((c) => !used.has(c) && c.ca && issuedBy(cur, c));
    if (!next) return { ok: false, reason: 'x509: certificate signed by unknown authority' };
    cur = next;
  }
  return { ok: false, reason: 'x509: certificate chain too long' };
}

/** Whether `now` falls inside a verified chain's validity window. */
export function chainValidAt(v: { notBefore: number; notAfter: number }, now: Date): boolean {
  const t = now.getTime();
  return t >= v.notBefore && t <= v.notAfter;
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

// Go treats a certificate without the extension as good for any purpose.
function ekuAllowsClientAuth(c: X509Certificate): boolean {
  const eku = c.keyUsage as string[] | undefined;
  if (!eku || eku.length === 0) return true;
  return eku.includes(CLIENT_AUTH_OID) || eku.includes(ANY_EKU_OID);
}
