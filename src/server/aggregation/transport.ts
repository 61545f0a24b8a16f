/**
 * The TLS connection to an aggregated API server: verified against the APIService's caBundle for
 * the name <service>.<namespace>.svc (unless insecureSkipTLSVerify), the front-proxy client certificate
 * presented when one is configured, and the user passed in X-Remote-* headers, as upstream's
 * aggregator proxy does. Bearer tokens and impersonation headers the client sent never reach the
 * backend: the user is already authenticated here.
 *
 * Connections to a verified backend are kept alive in a bounded pool of agents (one per backend
 * address, server name, caBundle and client certificate: src/util/http/agent-pool.ts), as Go's
 * transport keeps upstream's: a proxied request costs no TCP and TLS handshake. An APIService with
 * insecureSkipTLSVerify gets a connection of its own per request: the pool only makes verified
 * connections.
 */
import { request, type RequestOptions } from 'node:https';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import type { UserInfo } from '../../authn/types.ts';
import type { Endpoint } from './endpoint.ts';
import { utf8HeaderBytes as wire } from '../../authn/raw-headers.ts';
import { AgentPool } from '../../util/http/agent-pool.ts';

type Obj = Record<string, any>;

export interface ProxyClientCert {
  certPem: string;
  keyPem: string;
}

export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The aggregator's agents. No limit on connections per backend: a proxied watch holds its
 * connection for as long as it runs, and a limit would queue the next request behind it for ever.
 * The number of agents is bounded (APIServices are written by administrators, but still).
 */
export const aggregationAgents = new AgentPool({ maxSockets: Infinity, maxFreeSockets: 8 });

/** Headers never forwarded: hop-by-hop ones, credentials, and identity headers a client could forge. */
export function isStripped(name: string): boolean {
  const n = name.toLowerCase();
  return (
    ['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization', 'content-length'].includes(n) ||
    n.startsWith('impersonate-') ||
    n.startsWith('x-remote-')
  );
}

/** RFC 7230 token characters (Go's isTokenTable), the bytes a header name may hold as they are. */
const TOKEN = /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/;

/**
 * client-go's headerKeyEscape (transport/round_trippers.go): every UTF-8 byte of `key` that is no
 * token character, and '%', as %XX, so the backend's url.PathUnescape gives the key back.
 * encodeURIComponent leaves '(' and ')' as they are, which no header name may hold: Node then
 * refuses the whole request.
 */
export function headerKeyEscape(key: string): string {
  let out = '';
  for (const b of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && TOKEN.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** X-Remote-User, X-Remote-Uid, one X-Remote-Group per group, X-Remote-Extra-<escaped key> per value. */
export function identityHeaders(user: UserInfo): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = { 'X-Remote-User': wire(user.username) };
  if (user.uid) h['X-Remote-Uid'] = wire(user.uid);
  if (user.groups.length > 0) h['X-Remote-Group'] = user.groups.map(wire);
  for (const [k, vs] of Object.entries(user.extra ?? {})) h[`X-Remote-Extra-${headerKeyEscape(k)}`] = vs.map(wire);
  return h;
}

export interface BackendRequest {
  endpoint: Endpoint;
  apiService: Obj;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  user: UserInfo;
  proxyClientCert?: ProxyClientCert;
  body?: Buffer;
  /** Where verified connections come from (default aggregationAgents). */
  agents?: AgentPool;
}

export function backendRequest(r: BackendRequest): ClientRequest {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !isStripped(k)) headers[k] = v;
  Object.assign(headers, identityHeaders(r.user));
  if (r.body && r.body.length > 0) headers['content-length'] = String(r.body.length);
  const spec = r.apiService.spec ?? {};
  const ca = typeof spec.caBundle === 'string' && spec.caBundle !== '' ? Buffer.from(spec.caBundle, 'base64').toString('utf8') : undefined;
  const cert = r.proxyClientCert?.certPem;
  const key = r.proxyClientCert?.keyPem;
  // Without a caBundle Go (and so upstream) verifies against the system roots; Node does the same.
  const tls: RequestOptions = spec.insecureSkipTLSVerify === true
    ? { servername: r.endpoint.serverName, ca, cert, key, rejectUnauthorized: false, agent: false }
    : { agent: (r.agents ?? aggregationAgents).agentFor(r.endpoint.host, r.endpoint.port, { caPem: ca, certPem: cert, keyPem: key, serverName: r.endpoint.serverName }) };
  const opts: RequestOptions = { host: r.endpoint.host, port: r.endpoint.port, method: r.method, path: r.path, headers, timeout: CONNECT_TIMEOUT_MS, ...tls };
  return request(opts);
}
