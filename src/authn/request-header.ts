/**
 * Authenticating proxy (--requestheader-*, upstream request/headerrequest behind an x509
 * verifier). X-Remote-User / X-Remote-Uid / X-Remote-Group / X-Remote-Extra-<key> are believed
 * only from a connection whose client certificate chains to the request-header CA (a CA of its
 * own, not the client CA) and, when an allowed-names list is set, whose CN is on it.
 *
 *   no username header, or a certificate not from that CA      -> no opinion (headers ignored)
 *   certificate from that CA, CN not allowed, username header  -> rejected ("not in the allowed list")
 *   ambiguous identity (the username or uid header repeated)   -> rejected
 *
 * Whatever the outcome the pipeline must remove these headers (stripProxyHeaders) so no later
 * stage can mistake a client's forged X-Remote-User for a proxy's word.
 */
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { AuthnRequest, AuthnResult, RequestAuthenticator, UserInfo } from './types.ts';
import { AuthnError } from './types.ts';
import { deleteHeaders, hasControlChars, HeaderEncodingError, identityHeaderValues, unescapeExtraKey, type HeaderBag } from './raw-headers.ts';
import { chainValidAt, parseCaBundle, presentedChain, verifyClientChain, type ChainVerdict } from './verify-client-chain.ts';

export interface ProxyHeaderNames {
  usernameHeaders: readonly string[];
  uidHeaders: readonly string[];
  groupHeaders: readonly string[];
  extraHeaderPrefixes: readonly string[];
}

/** What upstream's authentication filter always strips, and the defaults here. */
export const STANDARD_PROXY_HEADERS: ProxyHeaderNames = {
  usernameHeaders: ['X-Remote-User'],
  uidHeaders: ['X-Remote-Uid'],
  groupHeaders: ['X-Remote-Group'],
  extraHeaderPrefixes: ['X-Remote-Extra-'],
};

export interface RequestHeaderOptions extends Partial<ProxyHeaderNames> {
  /** --requestheader-client-ca-file contents (PEM, one or more certificates). */
  clientCaPem: string;
  /** --requestheader-allowed-names; empty means any CN the CA signed. */
  allowedNames?: readonly string[];
  now?: () => Date;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

function normalizeNames(list: readonly string[], flag: string): string[] {
  return list.map((h) => {
    const n = h.trim().toLowerCase();
    if (!HEADER_NAME.test(n)) throw new Error(`${flag}: invalid header name ${JSON.stringify(h)}`);
    return n;
  });
}

function resolveNames(c: Partial<ProxyHeaderNames> | undefined): ProxyHeaderNames {
  return {
    usernameHeaders: normalizeNames(c?.usernameHeaders ?? STANDARD_PROXY_HEADERS.usernameHeaders, '--requestheader-username-headers'),
    uidHeaders: normalizeNames(c?.uidHeaders ?? STANDARD_PROXY_HEADERS.uidHeaders, '--requestheader-uid-headers'),
    groupHeaders: normalizeNames(c?.groupHeaders ?? STANDARD_PROXY_HEADERS.groupHeaders, '--requestheader-group-headers'),
    extraHeaderPrefixes: normalizeNames(c?.extraHeaderPrefixes ?? STANDARD_PROXY_HEADERS.extraHeaderPrefixes, '--requestheader-extra-headers-prefix'),
  };
}

/** Predicate over lowercased header names: the standard proxy headers plus the configured ones. */
export function proxyHeaderMatcher(config?: Partial<ProxyHeaderNames>): (lowerName: string) => boolean {
  const std = resolveNames(undefined);
  const cfg = resolveNames(config);
  const exact = new Set([std, cfg].flatMap((n) => [...n.usernameHeaders, ...n.uidHeaders, ...n.groupHeaders]));
  const prefixes = [...std.extraHeaderPrefixes, ...cfg.extraHeaderPrefixes];
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

/**
 * Matchers by configuration object: the names are normalised once per configuration, not once per
 * request (the pipeline strips these headers from every request). A WeakMap, so a configuration
 * dropped with its server is dropped here too.
 */
const matchers = new WeakMap<Partial<ProxyHeaderNames>, (lowerName: string) => boolean>();
let standardMatcher: ((lowerName: string) => boolean) | undefined;

function cachedMatcher(config: Partial<ProxyHeaderNames> | undefined): (lowerName: string) => boolean {
  if (config === undefined) return (standardMatcher ??= proxyHeaderMatcher(undefined));
  let m = matchers.get(config);
  if (m === undefined) {
    m = proxyHeaderMatcher(config);
    matchers.set(config, m);
  }
  return m;
}

/**
 * Removes every proxy identity header, in place. Call after authentication, whatever its outcome.
 * The configuration is read when first seen: pass a new object to change it.
 */
export function stripProxyHeaders(headers: Record<string, unknown>, config?: Partial<ProxyHeaderNames>): void {
  deleteHeaders(headers, cachedMatcher(config));
}

type Verified = { verdict: ChainVerdict; cns: string[] };

export class RequestHeaderAuthenticator implements RequestAuthenticator {
  readonly name = 'request-header';
  readonly #roots: X509Certificate[];
  readonly #allowed: ReadonlySet<string>;
  readonly #names: ProxyHeaderNames;
  readonly #now: () => Date;
  // A connection's certificate cannot change: verify its chain once, re-check only the clock.
  readonly #cache = new WeakMap<object, Verified>();

  constructor(opts: RequestHeaderOptions) {
    this.#roots = parseCaBundle(opts.clientCaPem, '--requestheader-client-ca-file');
    this.#allowed = new Set(opts.allowedNames ?? []);
    this.#names = resolveNames(opts);
    if (this.#names.usernameHeaders.length === 0) throw new Error('--requestheader-username-headers: at least one header is required');
    this.#now = opts.now ?? (() => new Date());
  }

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    return this.authenticateNow(req);
  }

  /** Always at once (a connection's proxy certificate is verified once). */
  authenticateNow(req: AuthnRequest): AuthnResult {
    try {
      return this.#authenticate(req);
    } catch (err) {
      // A proxy that sends names which are not UTF-8 is refused, not read some other way.
      if (err instanceof HeaderEncodingError) return this.#reject(`request-header: ${err.message}`);
      throw err;
    }
  }

  #authenticate(req: AuthnRequest): AuthnResult {
    const h = req.headers;
    const name = firstValue(h, this.#names.usernameHeaders);
    if (name === undefined) return { kind: 'no-opinion' };
    const socket = req.socket;
    if (!socket || typeof socket.getPeerCertificate !== 'function') return { kind: 'no-opinion' };
    const v = this.#verify(socket);
    // Not the proxy (no certificate, another CA, expired): the headers are just ignored.
    if (!v.verdict.ok || !chainValidAt(v.verdict, this.#now())) return { kind: 'no-opinion' };
    if (this.#allowed.size > 0 && !(v.cns.length === 1 && this.#allowed.has(v.cns[0]!))) {
      return this.#reject(`x509: subject with cn=${v.cns.join(',')} is not in the allowed list`);
    }
    if (name instanceof Error) return this.#reject(name.message);
    const uid = firstValue(h, this.#names.uidHeaders);
    if (uid instanceof Error) return this.#reject(uid.message);
    const groups: string[] = [];
    for (const g of this.#names.groupHeaders) groups.push(...identityHeaderValues(h, g).filter((x) => x !== ''));
    const extra = this.#extra(h);
    if ([...groups, ...Object.values(extra).flat()].some(hasControlChars)) return this.#reject('control characters in request-header values');
    const user: UserInfo = { username: name, groups };
    if (uid !== undefined) user.uid = uid;
    if (Object.keys(extra).length > 0) user.extra = extra;
    return { kind: 'authenticated', method: this.name, user };
  }

  #verify(socket: TLSSocket): Verified {
    const hit = this.#cache.get(socket);
    if (hit) return hit;
    const peer = socket.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
    let v: Verified;
    try {
      const chain = presentedChain(peer);
      const cn = (peer as DetailedPeerCertificate).subject?.CN;
      v = { verdict: verifyClientChain(chain, this.#roots), cns: cn === undefined ? [] : Array.isArray(cn) ? cn : [cn] };
    } catch (err) {
      v = { verdict: { ok: false, reason: (err as Error).message }, cns: [] };
    }
    this.#cache.set(socket, v);
    return v;
  }

  // Upstream: for each prefix, every header starting with it; the rest of the name, lowercased and
  // percent-decoded, is the key (so keys can carry characters header names cannot).
  #extra(h: HeaderBag): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const prefix of this.#names.extraHeaderPrefixes) {
      for (const header of Object.keys(h)) {
        const lower = header.toLowerCase();
        if (!lower.startsWith(prefix) || lower.length === prefix.length) continue;
        const key = unescapeExtraKey(lower.slice(prefix.length));
        (out[key] ??= []).push(...identityHeaderValues(h, header));
      }
    }
    return out;
  }

  #reject(message: string): AuthnResult {
    return { kind: 'rejected', method: this.name, error: new AuthnError('InvalidCredential', message) };
  }
}

/**
 * The first header (in configured order) with a non-empty value. A header sent twice is an error,
 * not "the first one": a client's forged line ahead of the proxy's must not win.
 */
function firstValue(h: HeaderBag, names: readonly string[]): string | Error | undefined {
  for (const n of names) {
    let vals: string[];
    try {
      vals = identityHeaderValues(h, n).filter((v) => v !== '');
    } catch (err) {
      // Reported only once the sender is known to be the proxy (like the other errors here).
      if (err instanceof HeaderEncodingError) return new Error(`request-header: ${err.message}`);
      throw err;
    }
    if (vals.length === 0) continue;
    if (vals.length > 1) return new Error(`request-header: multiple ${n} headers`);
    if (hasControlChars(vals[0]!)) return new Error(`request-header: control characters in ${n}`);
    return vals[0]!;
  }
  return undefined;
}
