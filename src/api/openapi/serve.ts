/**
 * HTTP answers for /openapi/v3, /openapi/v3/<group version> and /openapi/v2, as upstream's
 * kube-openapi handlers give them: an ETag of the document's hash, and a long-lived cache when
 * the request names the current hash (a stale hash redirects to the current one). v3 is JSON
 * only (kubectl asks for JSON; a client accepting only protobuf gets 406); v2 is JSON or
 * gnostic protobuf, which is all client-go's discovery client accepts.
 */
import type { ResourceRegistry } from '../registry/registry.ts';
import type { Schema } from '../schema/types.ts';
import type { Docs } from './docs.ts';
import { loadDocs } from './docs.ts';
import { openApiV2Document, openApiV2Protobuf, openApiV3Document, openApiV3Index, type OpenApiDocument } from './documents.ts';

export interface OpenApiResponse {
  code: number;
  contentType: string;
  body: string | Uint8Array;
  headers: Record<string, string>;
}

export interface OpenApiRequestHeaders {
  accept?: string;
  ifNoneMatch?: string;
}

const JSON_TYPE = 'application/json';
/** What clients ask for; "@" is no token character, so the answer is labelled with the "." spelling (as upstream). */
export const V2_PROTOBUF_TYPE = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const V2_PROTOBUF_LEGACY = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** The first media type of the Accept header we serve, in the client's order: 'json', 'protobuf' or undefined. */
export function negotiate(accept: string | undefined, protobufOk: boolean): 'json' | 'protobuf' | undefined {
  if (!accept || !accept.trim()) return 'json';
  for (const part of accept.split(',')) {
    const type = part.split(';')[0]!.trim().toLowerCase();
    if (type === JSON_TYPE || type === 'application/*' || type === '*/*') return 'json';
    if (protobufOk && (type === V2_PROTOBUF_TYPE || type === V2_PROTOBUF_LEGACY)) return 'protobuf';
  }
  return undefined;
}

function status(code: number, reason: string, message: string): OpenApiResponse {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  return { code, contentType: JSON_TYPE, body, headers: {} };
}

function answer(doc: { body: string | Uint8Array; hash: string }, contentType: string, headers: OpenApiRequestHeaders, extra: Record<string, string> = {}): OpenApiResponse {
  const etag = `"${doc.hash}"`;
  const h = { etag, vary: 'Accept', ...extra };
  if (headers.ifNoneMatch && headers.ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    return { code: 304, contentType, body: '', headers: h };
  }
  return { code: 200, contentType, body: doc.body, headers: h };
}

const asJson = (d: OpenApiDocument): { body: string; hash: string } => ({ body: d.json, hash: d.hash });

/**
 * The response for an /openapi/... path, or undefined when the path is not an OpenAPI path (the
 * caller answers 404 then). `path` is the URL path without the query.
 */
export function serveOpenApi(
  path: string,
  query: URLSearchParams,
  registry: ResourceRegistry,
  schema: Schema,
  headers: OpenApiRequestHeaders = {},
  docs: Docs = loadDocs(),
): OpenApiResponse | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'openapi' || parts.length < 2) return undefined;
  if (parts[1] === 'v2' && parts.length === 2) {
    const form = negotiate(headers.accept, true);
    if (!form) return status(406, 'NotAcceptable', `only ${JSON_TYPE} and ${V2_PROTOBUF_TYPE} are served for /openapi/v2`);
    if (form === 'json') return answer(asJson(openApiV2Document(registry, schema, docs)), JSON_TYPE, headers);
    const pb = openApiV2Protobuf(registry, schema, docs);
    // The ETag differs per form so a cache keyed on it never serves one form for the other.
    return answer({ body: pb.bytes, hash: `${pb.hash}-pb` }, V2_PROTOBUF_LEGACY, headers);
  }
  if (parts[1] !== 'v3') return undefined;
  if (!negotiate(headers.accept, false)) return status(406, 'NotAcceptable', `only ${JSON_TYPE} is served for /openapi/v3`);
  if (parts.length === 2) {
    const body = JSON.stringify(openApiV3Index(registry, schema, docs));
    return { code: 200, contentType: JSON_TYPE, body, headers: {} };
  }
  const gv = parts.slice(2).join('/');
  const doc = openApiV3Document(registry, schema, gv, docs);
  if (!doc) return status(404, 'NotFound', `the server could not find the requested resource`);
  const hash = query.get('hash');
  if (hash === null || hash === '') return answer(asJson(doc), JSON_TYPE, headers, { 'cache-control': 'no-cache, private' });
  if (hash !== doc.hash) {
    // A client holding an old index: send it where the current document is.
    const next = new URLSearchParams(query);
    next.set('hash', doc.hash);
    return { code: 301, contentType: 'text/plain; charset=utf-8', body: '', headers: { location: `/openapi/v3/${gv}?${next.toString()}`, 'cache-control': 'no-cache, private' } };
  }
  return answer(asJson(doc), JSON_TYPE, headers, { 'cache-control': 'public, immutable' });
}
