/**
 * Authenticated requests to one registry API (distribution spec v1.1 / docker registry token
 * spec): picks the scheme (HTTPS; plain HTTP only for loopback registries or ones configured
 * insecure, after HTTPS failed its handshake, as containerd's HTTP fallback), answers a 401's
 * WWW-Authenticate with Basic credentials or a Bearer token fetched from the realm, and caches
 * tokens per registry, scope and credential so one pod's secret never serves another's lookup.
 */
import { X509Certificate, createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { ImagePolicyError } from '../errors.ts';
import { BoundedTtlCache } from '../../util/bounded-ttl-cache.ts';
import { parseChallenge, repositoryScope, type Challenge } from './challenge.ts';
import { CredentialKeyring, type BasicCredential } from './credentials.ts';
import { HttpTransportError, discard, readCapped, send, type HttpResponse } from './http.ts';

export interface RegistryHostConfig {
  /** PEM CA bundle the registry's certificate must chain to (instead of the system roots). */
  caPem?: string;
  /** Plain HTTP allowed for this non-loopback registry (after HTTPS fails its handshake). */
  insecure?: boolean;
}

export interface RegistryTransportOptions {
  /** Per registry host (host[:port], as in image references). */
  hosts?: Record<string, RegistryHostConfig>;
  /** Credentials used when a lookup brings none of its own. */
  keyring?: CredentialKeyring;
  now?: () => number;
  userAgent?: string;
  /** Bound of the token cache (entries). */
  maxTokens?: number;
}

export interface RegistryCall {
  /** The reference's domain (docker.io for Docker Hub). */
  domain: string;
  /** The repository path, for the token scope and the credential lookup ('' for none). */
  repo: string;
  actions: readonly ('pull' | 'push')[];
  /** More scopes for the same token (a cross-repository mount needs pull on the source). */
  extraScopes?: readonly string[];
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A /v2/... path with query, or an absolute URL the registry handed out (upload Location). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  signal: AbortSignal;
  keyring?: CredentialKeyring;
}

const MAX_TOKEN_RESPONSE = 1024 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const DEFAULT_TOKEN_TTL_S = 60;
/**
 * Hosts come from image references, i.e. from whoever writes pods: what is kept per host is
 * bounded. An HTTP agent (and its kept-alive connections) per host at most this many, the oldest
 * destroyed first; idle kept-alive connections close after IDLE_SOCKET_MS (Go's IdleConnTimeout).
 */
const MAX_HOSTS = 128;
const IDLE_SOCKET_MS = 90_000;

/** Adds to an insertion-ordered set that keeps at most `max` (the oldest goes first). */
function addBounded(set: Set<string>, value: string, max: number): void {
  set.delete(value);
  if (set.size >= max) set.delete(set.values().next().value!);
  set.add(value);
}

/** Docker Hub's API is served by registry-1.docker.io. */
export function apiHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A host as configuration is keyed: lower case, without the HTTPS default port. */
function hostKey(host: string): string {
  return new URL(`https://${host}`).host;
}

/** Whether a URL is on the registry's host (as URL spells hosts: lower case, default port dropped). */
function sameHost(url: URL, host: string): boolean {
  return url.host === new URL(`${url.protocol}//${host}`).host;
}

/**
 * Whether following the registry `registry` to `target` would step onto the loopback from off it.
 * Plain HTTP is allowed to loopback hosts (local registries), so a remote registry's redirect,
 * upload Location or token realm naming 127.0.0.1 would otherwise make the node agent or the API
 * server (image verification) send requests, and for a realm the pull secret, to their own local
 * services.
 */
function intoLoopback(target: string, registry: string): boolean {
  return isLoopbackHost(target) && !isLoopbackHost(registry);
}

function unavailable(what: string, err: unknown): ImagePolicyError {
  return new ImagePolicyError('REGISTRY_UNAVAILABLE', `${what}: ${(err as Error).message}`, { cause: err });
}

export class RegistryTransport {
  private readonly hosts = new Map<string, RegistryHostConfig>();
  private readonly keyring: CredentialKeyring;
  private readonly now: () => number;
  private readonly userAgent: string;
  private readonly agents = new Map<string, http.Agent>();
  private readonly plainHttp = new Set<string>();
  private readonly tokens: BoundedTtlCache<string>;
  /** Hosts that answered with a Basic challenge: credentials are sent up front from then on. */
  private readonly basicHosts = new Set<string>();

  constructor(o: RegistryTransportOptions = {}) {
    // Bad configuration fails here, not on the first lookup.
    for (const [host, cfg] of Object.entries(o.hosts ?? {})) {
      if (!/^[^/\s@]+$/.test(host)) throw new Error(`registry host ${JSON.stringify(host)}: want host[:port]`);
      let key: string;
      try {
        key = hostKey(host);
      } catch {
        throw new Error(`registry host ${JSON.stringify(host)}: want host[:port]`);
      }
      this.hosts.set(key, cfg);
      if (cfg.caPem !== undefined) {
        if (!cfg.caPem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`registry ${host}: caPem holds no PEM certificate`);
        try {
          for (const block of cfg.caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) new X509Certificate(block);
        } catch (err) {
          throw new Error(`registry ${host}: caPem: ${(err as Error).message}`);
        }
      }
    }
    this.keyring = o.keyring ?? new CredentialKeyring();
    this.now = o.now ?? Date.now;
    this.userAgent = o.userAgent ?? 'portcullis';
    this.tokens = new BoundedTtlCache(o.maxTokens ?? 1024, this.now);
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private mayUsePlainHttp(host: string): boolean {
    return isLoopbackHost(host) || this.hosts.get(hostKey(host))?.insecure === true;
  }

  private agent(url: URL): http.Agent {
    const key = `${url.protocol}//${url.host}`;
    let a = this.agents.get(key);
    if (!a) {
      const caPem = this.hosts.get(hostKey(url.host))?.caPem;
      const common = { keepAlive: true, timeout: IDLE_SOCKET_MS };
      a = url.protocol === 'https:' ? new https.Agent({ ...common, ...(caPem ? { ca: caPem } : {}) }) : new http.Agent(common);
      if (this.agents.size >= MAX_HOSTS) {
        // Its idle connections close now; one still serving a request closes after it, when idle.
        const [oldest, agent] = this.agents.entries().next().value!;
        this.agents.delete(oldest);
        for (const list of Object.values(agent.freeSockets)) for (const sock of list ?? []) sock.destroy();
      }
      this.agents.set(key, a);
    }
    return a;
  }

  private url(host: string, path: string): URL {
    if (/^https?:\/\//.test(path)) {
      const u = new URL(path);
      // An upload Location may name another host (a storage backend): plain HTTP only where allowed.
      if (u.protocol === 'http:' && !this.mayUsePlainHttp(u.host)) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `refusing plain HTTP to ${u.host}`);
      if (intoLoopback(u.host, host)) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `refusing ${u.origin}: a loopback address named by ${host}`);
      return u;
    }
    const u = new URL(`https://${host}${path}`);
    if (this.plainHttp.has(host)) u.protocol = 'http:';
    return u;
  }

  /** One request with the scheme fallback; transport failures are REGISTRY_UNAVAILABLE. */
  private async raw(host: string, c: RegistryCall, authorization: string | undefined): Promise<HttpResponse> {
    const url = this.url(host, c.path);
    // Credentials go to the registry's own host only, never to a Location it hands out elsewhere.
    const sendAuth = authorization && sameHost(url, host);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...c.headers, ...(sendAuth ? { authorization } : {}) };
    try {
      return await send({ method: c.method, url, headers, body: c.body, signal: c.signal }, this.agent(url));
    } catch (err) {
      if (err instanceof HttpTransportError && err.tls && url.protocol === 'https:' && sameHost(url, host) && this.mayUsePlainHttp(host)) {
        addBounded(this.plainHttp, host, MAX_HOSTS);
        return this.raw(host, c, authorization);
      }
      if (err instanceof ImagePolicyError) throw err;
      throw unavailable(`${c.method} ${url.href}`, err);
    }
  }

  private credential(c: RegistryCall): BasicCredential | undefined {
    return (c.keyring ?? this.keyring).lookup({ domain: c.domain, path: c.repo })[0];
  }

  private scopes(c: RegistryCall): string[] {
    // A call outside any repository (the /v2/ ping) asks for a token without a scope.
    return [...(c.repo ? [repositoryScope(c.repo, c.actions)] : []), ...(c.extraScopes ?? [])];
  }

  private tokenKey(host: string, scopes: string[], cred: BasicCredential | undefined): string {
    const who = cred ? createHash('sha256').update(`${cred.username}\0${cred.password}`).digest('hex') : 'anonymous';
    return `${host}|${scopes.join(' ')}|${who}`;
  }

  /** Sends the call, authenticating when the registry asks to. */
  async call(c: RegistryCall): Promise<HttpResponse> {
    const { res, authorization } = await this.authenticated(c);
    return REDIRECTS.has(res.status) && (c.method === 'GET' || c.method === 'HEAD') ? this.follow(c, res, authorization) : res;
  }

  /**
   * Follows a GET's redirects (blob downloads are redirected to storage by most registries), as
   * Go's client: at most 10 hops, Authorization kept only on the registry's own host, and plain
   * HTTP only where the registry client allows it.
   */
  private async follow(c: RegistryCall, first: HttpResponse, authorization: string | undefined): Promise<HttpResponse> {
    const host = apiHost(c.domain);
    let res = first;
    let base = this.url(host, c.path);
    for (let hop = 0; REDIRECTS.has(res.status); hop++) {
      const location = headerValue(res.headers.location);
      discard(res);
      if (!location) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `${c.method} ${base.href}: redirect without a Location`);
      if (hop >= MAX_REDIRECTS) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `${c.method} ${base.href}: stopped after ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, base);
      if ((next.protocol !== 'https:' && !(next.protocol === 'http:' && this.mayUsePlainHttp(next.host))) || intoLoopback(next.host, host)) {
        throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `${c.method} ${base.href}: refusing a redirect to ${next.origin}`);
      }
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...c.headers };
      if (sameHost(next, host) && authorization) headers['authorization'] = authorization;
      try {
        res = await send({ method: c.method, url: next, headers, signal: c.signal }, this.agent(next));
      } catch (err) {
        throw unavailable(`${c.method} ${next.origin}${next.pathname}`, err);
      }
      base = next;
    }
    return res;
  }

  private async authenticated(c: RegistryCall): Promise<{ res: HttpResponse; authorization: string | undefined }> {
    const host = apiHost(c.domain);
    const cred = this.credential(c);
    const scopes = this.scopes(c);
    const key = this.tokenKey(host, scopes, cred);
    const cached = this.tokens.get(key);
    let authorization = cached ? `Bearer ${cached}` : cred && this.basicHosts.has(host) ? basic(cred) : undefined;
    const res = await this.raw(host, c, authorization);
    if (res.status !== 401) return { res, authorization };
    const challenge = parseChallenge(headerValue(res.headers['www-authenticate']));
    // A challenge we cannot answer leaves the 401 to the caller.
    // Basic credentials already refused are not sent again.
    const answerable = (challenge?.scheme === 'basic' && cred !== undefined && authorization !== basic(cred)) || challenge?.scheme === 'bearer';
    if (!challenge || !answerable) return { res, authorization };
    discard(res);
    if (challenge.scheme === 'basic') {
      addBounded(this.basicHosts, host, MAX_HOSTS);
      authorization = basic(cred!);
    } else {
      const token = await this.fetchToken(host, challenge, scopes, cred, c.signal);
      this.tokens.set(key, token.token, token.ttlMs);
      authorization = `Bearer ${token.token}`;
    }
    return { res: await this.raw(host, c, authorization), authorization };
  }

  private async fetchToken(host: string, ch: Challenge, scopes: string[], cred: BasicCredential | undefined, signal: AbortSignal): Promise<{ token: string; ttlMs: number }> {
    const realm = ch.params['realm'];
    if (!realm) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', 'bearer challenge without a realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `bearer challenge realm ${JSON.stringify(realm)} is not a URL`);
    }
    // Credentials go only where they are safe in transit.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.mayUsePlainHttp(url.host))) {
      throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `refusing token realm ${url.origin}: not HTTPS`);
    }
    if (intoLoopback(url.host, host)) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `refusing token realm ${url.origin}: a loopback address named by ${host}`);
    if (ch.params['service']) url.searchParams.set('service', ch.params['service']);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...(cred ? { authorization: basic(cred) } : {}) };
    let res: HttpResponse;
    try {
      res = await send({ method: 'GET', url, headers, signal }, this.agent(url));
    } catch (err) {
      throw unavailable(`GET ${url.origin}${url.pathname}`, err);
    }
    let body: Buffer;
    try {
      body = await readCapped(res, MAX_TOKEN_RESPONSE, 'token response', signal);
    } catch (err) {
      if (err instanceof ImagePolicyError) throw err;
      throw unavailable('token response', err);
    }
    if (res.status === 401 || res.status === 403) {
      throw new ImagePolicyError('IMAGE_NOT_FOUND', `pull access denied, repository does not exist or may require authorization: token server answered ${res.status}`);
    }
    if (res.status !== 200) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `token server answered ${res.status}`);
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      throw new ImagePolicyError('REGISTRY_UNAVAILABLE', 'token response is not JSON');
    }
    const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '') throw new ImagePolicyError('REGISTRY_UNAVAILABLE', 'token response has no token');
    const expires = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_TTL_S;
    // Renew a little early so a token does not expire between the cache hit and the request.
    return { token, ttlMs: Math.max(0, expires * 1000 - 5000) };
  }
}

function basic(c: BasicCredential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
