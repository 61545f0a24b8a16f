/**
 * The OpenAPI documents served at /openapi/v3 and /openapi/v2, built on first use and cached with
 * their hashes. The served resources change at run time (CRDs), so the caches follow the
 * registry's version; a group version's document is rebuilt only when its own resources changed.
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry } from '../registry/registry.ts';
import type { ResourceDef } from '../registry/resource-def.ts';
import type { Schema } from '../schema/types.ts';
import { buildV2Document, buildV3Document } from './build-document.ts';
import { loadDocs, type Docs } from './docs.ts';
import { groupVersionPath } from './names.ts';
import { encodeSwaggerDocument } from './swagger-protobuf.ts';

export interface OpenApiDocument {
  json: string;
  /** Upstream's form: the SHA-512 of the serialized document, upper-case hex. */
  hash: string;
}

interface Entry {
  defs: ResourceDef[];
  doc?: OpenApiDocument;
}

interface Cache {
  schema: Schema;
  docs: Docs;
  version: number;
  /** By group version path (api/v1, apis/apps/v1). */
  groupVersions: Map<string, Entry>;
  v2?: { version: number; doc: OpenApiDocument; protobuf?: Uint8Array };
}

const caches = new WeakMap<ResourceRegistry, Cache>();

function serialize(doc: unknown): OpenApiDocument {
  const json = JSON.stringify(doc);
  return { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
}

function sameDefs(a: readonly ResourceDef[], b: readonly ResourceDef[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The cache brought up to the registry's version, keeping documents whose resources did not change. */
function cacheFor(registry: ResourceRegistry, schema: Schema, docs: Docs): Cache {
  let c = caches.get(registry);
  if (!c || c.schema !== schema || c.docs !== docs) {
    c = { schema, docs, version: -1, groupVersions: new Map() };
    caches.set(registry, c);
  }
  if (c.version !== registry.version) {
    const grouped = new Map<string, ResourceDef[]>();
    for (const d of registry.all()) {
      const key = groupVersionPath(d.group, d.version);
      const list = grouped.get(key) ?? [];
      list.push(d);
      grouped.set(key, list);
    }
    const next = new Map<string, Entry>();
    for (const [key, defs] of grouped) {
      const old = c.groupVersions.get(key);
      next.set(key, old && sameDefs(old.defs, defs) ? old : { defs });
    }
    c.groupVersions = next;
    c.version = registry.version;
  }
  return c;
}

function documentOf(c: Cache, entry: Entry): OpenApiDocument {
  entry.doc ??= serialize(buildV3Document(entry.defs, c.schema, c.docs));
  return entry.doc;
}

/** GET /openapi/v3: where each group version's document is, its hash in the URL so clients may cache it. */
export function openApiV3Index(registry: ResourceRegistry, schema: Schema, docs: Docs = loadDocs()): { paths: Record<string, { serverRelativeURL: string }> } {
  const c = cacheFor(registry, schema, docs);
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const key of [...c.groupVersions.keys()].sort()) {
    const doc = documentOf(c, c.groupVersions.get(key)!);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
  }
  return { paths };
}

/** GET /openapi/v3/<api/v1 | apis/group/version>: undefined when nothing is served there. */
export function openApiV3Document(registry: ResourceRegistry, schema: Schema, groupVersionPath: string, docs: Docs = loadDocs()): OpenApiDocument | undefined {
  const c = cacheFor(registry, schema, docs);
  const entry = c.groupVersions.get(groupVersionPath);
  return entry ? documentOf(c, entry) : undefined;
}

/** GET /openapi/v2: one Swagger 2.0 document of everything served. */
export function openApiV2Document(registry: ResourceRegistry, schema: Schema, docs: Docs = loadDocs()): OpenApiDocument {
  const c = cacheFor(registry, schema, docs);
  if (!c.v2 || c.v2.version !== registry.version) c.v2 = { version: registry.version, doc: serialize(buildV2Document(registry.all(), schema, docs)) };
  return c.v2.doc;
}

/** The same document in gnostic's protobuf form (what client-go's discovery client asks for); same hash. */
export function openApiV2Protobuf(registry: ResourceRegistry, schema: Schema, docs: Docs = loadDocs()): { bytes: Uint8Array; hash: string } {
  const doc = openApiV2Document(registry, schema, docs);
  const v2 = cacheFor(registry, schema, docs).v2!;
  v2.protobuf ??= encodeSwaggerDocument(JSON.parse(doc.json) as Record<string, unknown>);
  return { bytes: v2.protobuf, hash: doc.hash };
}
