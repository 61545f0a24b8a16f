/**
 * Kubernetes' CEL URL library (apiserver/pkg/cel/library/urls.go): `url(s)` and `isURL(s)` accept
 * absolute URLs and absolute paths (Go's url.ParseRequestURI), and a URL answers `getScheme`,
 * `getHost`, `getHostname`, `getPort`, `getEscapedPath` and `getQuery`.
 */
import type { Environment } from '@marcbachmann/cel-js';

export class CelURL {
  readonly scheme: string;
  readonly host: string;
  readonly hostname: string;
  readonly port: string;
  readonly path: string;
  readonly query: string;
  constructor(p: { scheme: string; host: string; hostname: string; port: string; path: string; query: string }) {
    this.scheme = p.scheme;
    this.host = p.host;
    this.hostname = p.hostname;
    this.port = p.port;
    this.path = p.path;
    this.query = p.query;
  }
}

// scheme://[userinfo@]host[:port]path?query#fragment, or an absolute path; no spaces or controls.
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^/?#:]*)(?::([0-9]*))?)?([^?#]*)(?:\?([^#]*))?$/;
const PATH = /^(\/[^?#]*)(?:\?([^#]*))?$/;

function parse(s: string): CelURL | undefined {
  if (/[\s\x00-\x1f\x7f]/.test(s)) return undefined;
  const p = PATH.exec(s);
  if (p) return new CelURL({ scheme: '', host: '', hostname: '', port: '', path: p[1]!, query: p[2] ?? '' });
  const m = ABSOLUTE.exec(s);
  if (!m) return undefined;
  const [, scheme, rawHost = '', port = '', path = '', query = ''] = m;
  const hostname = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  return new CelURL({ scheme: scheme!, host: port ? `${rawHost}:${port}` : rawHost, hostname, port, path, query });
}

/** Go's url.ParseRequestURI error for a string that is not a URL, or undefined. */
export function celUrlError(s: string): string | undefined {
  return parse(s) ? undefined : `parse "${s}": invalid URI for request`;
}

function url(s: string): CelURL {
  const u = parse(s);
  if (!u) throw new Error(`URL parse error during conversion from string: ${celUrlError(s)}`);
  return u;
}

function queryMap(q: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(q)) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
}

export function registerUrlLibrary(env: Environment): Environment {
  const T = 'kubernetes.URL';
  return env
    .registerType(T, CelURL)
    .registerFunction(`url(string): ${T}`, url)
    .registerFunction('isURL(string): bool', (s: string) => parse(s) !== undefined)
    .registerFunction(`${T}.getScheme(): string`, (u: CelURL) => u.scheme)
    .registerFunction(`${T}.getHost(): string`, (u: CelURL) => u.host)
    .registerFunction(`${T}.getHostname(): string`, (u: CelURL) => u.hostname)
    .registerFunction(`${T}.getPort(): string`, (u: CelURL) => u.port)
    .registerFunction(`${T}.getEscapedPath(): string`, (u: CelURL) => u.path)
    .registerFunction(`${T}.getQuery(): map<string, list<string>>`, (u: CelURL) => queryMap(u.query));
}
