import type { TLSSocket, DetailedPeerCertificate } from 'node:tls';
import type { AuthnRequest, AuthnResult, RequestAuthenticator, UserInfo } from './types.ts';
import { AuthnError } from './types.ts';
import { chainValidAt, parseCaBundle, presentedChain, verifyClientChain, type ChainVerdict } from './verify-client-chain.ts';

/**
 * X509 client certificates: the peer's chain must verify against the client CA (--client-ca-file)
 * — checked here, not through `socket.authorized`, because the listener also trusts the
 * request-header CA for the authenticating proxy and the TLS layer cannot say which CA matched.
 * CN is the user, O the groups. Of several CNs the last one is the user, as Go's pkix.Name keeps
 * it (FillFromRDNSequence: `n.CommonName = value` per CN): the CSR approver and signer judge the
 * request by that one, so reading another here would let a node get any user name certified.
 * A certificate that was presented but does not verify (another
 * CA, expired, not yet valid, no clientAuth usage) is a rejection, never anonymous.
 *
 * The chain verdict is cached per TLS socket (a connection's certificate cannot change; parsing it
 * on every request of a keep-alive connection costs throughput); the clock is checked per request.
 */
export class X509Authenticator implements RequestAuthenticator {
  readonly name = 'x509';
  readonly #roots;
  readonly #now: () => Date;
  readonly #cache = new WeakMap<TLSSocket, { verdict: ChainVerdict; user?: UserInfo } | 'none'>();

  constructor(opts: { clientCaPem: string; now?: () => Date }) {
    this.#roots = parseCaBundle(opts.clientCaPem, '--client-ca-file');
    this.#now = opts.now ?? (() => new Date());
  }

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    return this.authenticateNow(req);
  }

  /** Always at once: the chain was verified when the connection's first request came. */
  authenticateNow(req: AuthnRequest): AuthnResult {
    const socket = req.socket;
    if (!socket || typeof socket.getPeerCertificate !== 'function') return { kind: 'no-opinion' };
    let entry = this.#cache.get(socket);
    if (!entry) {
      entry = this.#inspect(socket);
      this.#cache.set(socket, entry);
    }
    if (entry === 'none') return { kind: 'no-opinion' };
    const v = entry.verdict;
    if (!v.ok) return this.#reject(v.reason.includes('usage') ? 'InvalidCredential' : 'UntrustedIssuer', v.reason);
    if (!chainValidAt(v, this.#now())) return this.#reject('Expired', 'x509: certificate has expired or is not yet valid');
    if (!entry.user) return this.#reject('InvalidCredential', 'x509: certificate has no common name');
    return { kind: 'authenticated', method: this.name, user: entry.user };
  }

  #inspect(socket: TLSSocket): { verdict: ChainVerdict; user?: UserInfo } | 'none' {
    const peer = socket.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
    if (!peer || Object.keys(peer).length === 0) return 'none';
    const verdict = verifyClientChain(presentedChain(peer), this.#roots);
    const subject = (peer as DetailedPeerCertificate).subject ?? {};
    const cn = asList(subject.CN).at(-1);
    return { verdict, user: cn ? { username: cn, groups: asList(subject.O) } : undefined };
  }

  #reject(code: AuthnError['code'], message: string): AuthnResult {
    return { kind: 'rejected', method: this.name, error: new AuthnError(code, message) };
  }
}

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
