/**
 * Content negotiation for tables: kubectl get asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`.
 * The first clause the server can serve wins (by q, then order): a Table clause names the
 * meta.k8s.io version, a plain clause means no table.
 */
import type { TableVersion } from './table.ts';

export const TABLE_CONTENT_TYPE: Readonly<Record<TableVersion, string>> = {
  v1: 'application/json;as=Table;v=v1;g=meta.k8s.io',
  v1beta1: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io',
};

// Media types a table can be written as here (JSON only) and those a plain object can.
const TABLE_MEDIA = new Set(['application/json', 'application/*', '*/*']);
const PLAIN_MEDIA = new Set(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/*', '*/*']);

export interface Clause {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseClause(text: string): Clause | undefined {
  const [type = '', ...rest] = text.split(';').map((s) => s.trim());
  if (type === '') return undefined;
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const k = p.slice(0, eq).trim().toLowerCase();
    const v = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 0;
    else params.set(k, v);
  }
  return { type: type.toLowerCase(), params, q };
}

// Clients send the same few Accept headers over and over (negotiation runs more than once per
// request): parsed once each. The header is the client's, so the cache is bounded.
const parsed = new Map<string, readonly Clause[]>();
const MAX_PARSED = 256;
const MAX_CACHED_HEADER = 1024;

/**
 * The clauses of an Accept header the client will take (q > 0), most preferred first (by q, then
 * order). Shared between requests: callers read them, never change them.
 */
export function acceptClauses(accept: string): readonly Clause[] {
  let clauses = parsed.get(accept);
  if (clauses) return clauses;
  clauses = parseAccept(accept);
  if (accept.length <= MAX_CACHED_HEADER) {
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(accept, clauses);
  }
  return clauses;
}

function parseAccept(accept: string): Clause[] {
  return accept
    .split(',')
    .map(parseClause)
    .filter((c): c is Clause => c !== undefined && c.q > 0)
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.q - a.c.q || a.i - b.i)
    .map((x) => x.c);
}

/** The Table version the Accept header prefers, or undefined when the client prefers plain objects. */
export function wantsTable(accept: string | undefined): TableVersion | undefined {
  if (!accept) return undefined;
  for (const c of acceptClauses(accept)) {
    const as = c.params.get('as');
    if (as === undefined) {
      if (PLAIN_MEDIA.has(c.type)) return undefined;
      continue;
    }
    // Other conversions (PartialObjectMetadata, ...) and other groups are not tables: try the next clause.
    if (as !== 'Table' || c.params.get('g') !== 'meta.k8s.io' || !TABLE_MEDIA.has(c.type)) continue;
    const v = c.params.get('v');
    if (v === 'v1' || v === 'v1beta1') return v;
  }
  return undefined;
}
