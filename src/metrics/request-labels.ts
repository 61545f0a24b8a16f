/**
 * The labels upstream's endpoints/metrics gives a request (CleanScope, CanonicalVerb, CleanVerb,
 * cleanDryRun), from what the pipeline already parsed. Values a client chooses (resource names,
 * paths) only become labels when the server knows them, so the label sets stay bounded.
 */
import type { RequestInfo } from '../server/request-info.ts';

/** upstream's validRequestMethods: any other reported verb is "other". */
const VALID_VERBS = new Set(['APPLY', 'CONNECT', 'CREATE', 'DELETE', 'DELETECOLLECTION', 'GET', 'LIST', 'PATCH', 'POST', 'PROXY', 'PUT', 'UPDATE', 'WATCH', 'WATCHLIST']);
/** upstream's validConnectRequests. */
const CONNECT_SUBRESOURCES = new Set(['proxy', 'attach', 'exec', 'portforward']);
const APPLY_TYPES = new Set(['application/apply-patch+yaml', 'application/apply-patch+cbor']);
/** Non-resource paths reported by name; any other is reported as "" (a client can make up paths). */
const KNOWN_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/metrics', '/openapi/v2', '/openapi/v3', '/api', '/apis', '/.well-known/openid-configuration', '/openid/v1/jwks']);

export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

export function cleanScope(info: RequestInfo): string {
  if (info.name !== '' || info.verb === 'create') return 'resource';
  if (info.namespace !== '') return 'namespace';
  if (info.isResourceRequest) return 'cluster';
  return '';
}

/** The verb as upstream reports it: from the HTTP method, LIST/WATCH/APPLY/CONNECT told apart. */
export function reportedVerb(method: string, info: RequestInfo, scope: string, contentType: string | undefined): string {
  let verb = method === 'HEAD' ? 'GET' : method;
  if (verb === 'GET' && scope !== 'resource' && scope !== '') verb = 'LIST';
  if (info.verb === 'watch') verb = 'WATCH';
  if (verb === 'PATCH' && isApplyPatch(contentType)) verb = 'APPLY';
  if (info.isResourceRequest && info.subresource !== '' && CONNECT_SUBRESOURCES.has(info.subresource)) verb = 'CONNECT';
  return VALID_VERBS.has(verb) ? verb : 'other';
}

/** Whether a PATCH's content type makes it an APPLY. */
export function isApplyPatch(contentType: string | undefined): boolean {
  return contentType !== undefined && APPLY_TYPES.has(contentType.split(';')[0]!.trim());
}

/**
 * What requestLabels reads of a resource request, as one string: two requests with the same key
 * get the same labels (while the same resources are served). Undefined for what it does not
 * cover: non-resource paths (any path a client makes up) and dryRun queries.
 */
export function rawLabelKey(method: string, info: RequestInfo, query: URLSearchParams, contentType: string | undefined, code: number): string | undefined {
  if (!info.isResourceRequest || query.has('dryRun')) return undefined;
  // cleanScope and reportedVerb read no more of info than these (create is the method POST).
  let flags = info.verb === 'watch' ? 'w' : '';
  if (info.name !== '') flags += 'n';
  if (info.namespace !== '') flags += 's';
  if (method === 'PATCH' && isApplyPatch(contentType)) flags += 'a';
  return `${method}\0${flags}\0${info.apiGroup}\0${info.apiVersion}\0${info.resource}\0${info.subresource}\0${code}`;
}

/** "" without dryRun, "All" for dryRun=All, "invalid" for anything else (as cleanDryRun). */
export function cleanDryRun(query: URLSearchParams): string {
  if (!query.has('dryRun')) return '';
  const values = [...new Set(query.getAll('dryRun'))].sort();
  return values.every((v) => v === 'All') ? values.join(',') : 'invalid';
}

/**
 * The labels of a request. `known` says whether the server serves the resource (else group,
 * version, resource and subresource are reported empty, as a 404 for a made-up resource).
 */
export function requestLabels(method: string, info: RequestInfo, query: URLSearchParams, contentType: string | undefined, known: boolean): RequestLabels {
  const scope = cleanScope(info);
  const verb = reportedVerb(method, info, scope, contentType);
  const dry_run = cleanDryRun(query);
  if (!info.isResourceRequest) {
    return { verb, dry_run, group: '', version: '', resource: '', subresource: knownPath(info.path), scope, component: 'apiserver' };
  }
  if (!known) return { verb, dry_run, group: '', version: '', resource: '', subresource: '', scope, component: 'apiserver' };
  return { verb, dry_run, group: info.apiGroup, version: info.apiVersion, resource: info.resource, subresource: info.subresource, scope, component: 'apiserver' };
}

function knownPath(path: string): string {
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return KNOWN_PATHS.has(p) ? p : '';
}

/** The admission operation of a request, as the REST layer asks admission (CREATE, UPDATE, DELETE, CONNECT). */
export function admissionOperation(info: RequestInfo): string {
  if (info.subresource !== '' && CONNECT_SUBRESOURCES.has(info.subresource)) return 'CONNECT';
  if (info.verb === 'create') return 'CREATE';
  if (info.verb === 'update' || info.verb === 'patch') return 'UPDATE';
  if (info.verb === 'delete' || info.verb === 'deletecollection') return 'DELETE';
  return info.verb.toUpperCase();
}
