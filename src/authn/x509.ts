import type { TLSSocket, DetailedPeerCertificate } from 'node:tls';
import type { AuthnRequest, AuthnResult, RequestAuthenticator, UserInfo } from './types.ts';
import { AuthnError } from './types.ts';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/**
 * X509 client certificates: the TLS layer verifies the chain against the client CA (the server is
 * started with requestCert and that CA); here we read the verdict and the subject. CN is the user,
 * O the groups. A certificate that was presented but did not verify (another CA, expired, not yet
 * valid) is a rejection, never anonymous.
 *
 * The identity is cached per TLS socket: parsing the peer certificate on every request of a
 * keep-alive connection is costly, and a connection's certificate cannot change.
 */
export class X509Authenticator implements RequestAuthenticator {
  readonly name = 'x509';
  readonly #cache = new WeakMap<TLSSocket, AuthnResult>();

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    const socket = req.socket;
    if (!socket || typeof socket.getPeerCertificate !== 'function') return { kind: 'no-opinion' };
    const cached = this.#cache.get(socket);
    if (cached) return cached;
    const result = this.#fromSocket(socket);
    this.#cache.set(socket, result);
    return result;
  }

  #fromSocket(socket: TLSSocket): AuthnResult {
    const cert = socket.getPeerCertificate(false) as DetailedPeerCertificate | Record<string, never>;
    if (!cert || Object.keys(cert).length === 0) return { kind: 'no-opinion' };
    if (!socket.authorized) {
      const why = String(socket.authorizationError ?? 'unknown');
      return { kind: 'rejected', method: this.name, error: new AuthnError(why === 'CERT_HAS_EXPIRED' || why === 'CERT_NOT_YET_VALID' ? 'Expired' : 'UntrustedIssuer', `x509: certificate rejected: ${why}`) };
    }
    const eku = (cert as DetailedPeerCertificate).ext_key_usage;
    if (Array.isArray(eku) && eku.length > 0 && !eku.includes(CLIENT_AUTH_OID)) {
      return { kind: 'rejected', method: this.name, error: new AuthnError('InvalidCredential', 'x509: certificate specifies an incompatible key usage') };
    }
    const subject = (cert as DetailedPeerCertificate).subject ?? {};
    const cn = asList(subject.CN)[0];
    if (!cn) {
      return { kind: 'rejected', method: this.name, error: new AuthnError('InvalidCredential', 'x509: certificate has no common name') };
    }
    const user: UserInfo = { username: cn, groups: asList(subject.O) };
    return { kind: 'authenticated', method: this.name, user };
  }
}

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
