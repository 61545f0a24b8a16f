/**
 * The TLS connection to an aggregated API server: verified against the APIService's caBundle for
 * the name <service>.<namespace>.svc (unless insecureSkipTLSVerify), the front-proxy client certificate
 * presented when one is configured, and the user passed in X-Remote-* headers, as upstream's
 * aggregator proxy does. Bearer tokens and impersonation headers the client sent never reach the
 * backend: the user is already authenticated here.
 */
import { request, type RequestOptions } from 'node:https';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import type { UserInfo } from '../../authn/types.ts';
import type { Endpoint } from './endpoint.ts';
import { utf8HeaderBytes as wire } from '../../authn/raw-headers.ts';

type Obj = Record<string, any>;

export interface ProxyClientCert {
  certPem: string;
  keyPem: string;
}

export const CONNECT_TIMEOUT_MS = 30_000;

/** Headers never forwarded: hop-by-hop ones, credentials, and identity headers a client could forge. */
export function isStripped(name: string): boolean {
  const n = name.toLowerCase();
  return (
    ['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization', 'content-length'].includes(n) ||
    n.startsWith('impersonate-') ||
    n.startsWith('x-remote-')
  );
}

/** X-Remote-User, X-Remote-Uid, one X-Remote-Group per group, X-Remote-Extra-<escaped key> per value. */
export function identityHeaders(user: UserInfo): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = { 'X-Remote-User': wire(user.username) };
  if (user.uid) h['X-Remote-Uid'] = wire(user.uid);
  if (user.groups.length > 0) h['X-Remote-Group'] = user.groups.map(wire);
  for (const [k, vs] of Object.entries(user.extra ?? {})) h[`X-Remote-Extra-${encodeURIComponent(k)}`] = vs.map(wire);
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
}

export function backendRequest(r: BackendRequest): ClientRequest {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !isStripped(k)) headers[k] = v;
  Object.assign(headers, identityHeaders(r.user));
  if (r.body && r.body.length > 0) headers['content-length'] = String(r.body.length);
  const spec = r.apiService.spec ?? {};
  const ca = typeof spec.caBundle === 'string' && spec.caBundle !== '' ? Buffer.from(spec.caBundle, 'base64').toString('utf8') : undefined;
  const opts: RequestOptions = {
    host: r.endpoint.host,
    port: r.endpoint.port,
    method: r.method,
    path: r.path,
    headers,
    servername: r.endpoint.serverName,
    // Without a caBundle Go (and so upstream) verifies against the system roots; Node does the same.
    ca,
    rejectUnauthorized: spec.insecureSkipTLSVerify !== true,
    cert: r.proxyClientCert?.certPem,
    key: r.proxyClientCert?.keyPem,
    timeout: CONNECT_TIMEOUT_MS,
    agent: false,
  };
  return request(opts);
}
