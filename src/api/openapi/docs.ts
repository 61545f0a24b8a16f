/**
 * Descriptions of the built-in types (src/api/schema/generated/docs.json, generated beside
 * schema.json by scripts/gen-schema.ts from the proto comments). Read lazily and once: only
 * the OpenAPI documents need them.
 */
import { readFileSync } from 'node:fs';

export interface Docs {
  /** The description of a message, by fully qualified proto name. */
  type(protoName: string): string | undefined;
  /** The description of one of its fields, by JSON field name. */
  field(protoName: string, jsonField: string): string | undefined;
}

/** The shape of docs.json. */
export interface DocsDescriptor {
  types: Record<string, { description?: string; fields?: Record<string, string> }>;
}

export function docsFromDescriptor(d: DocsDescriptor): Docs {
  const types = new Map(Object.entries(d.types));
  return {
    type: (name) => types.get(name)?.description,
    field: (name, field) => {
      const fields = types.get(name)?.fields;
      return fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
    },
  };
}

export const NO_DOCS: Docs = { type: () => undefined, field: () => undefined };

let loaded: Docs | undefined;

export function loadDocs(): Docs {
  if (!loaded) {
    const text = readFileSync(new URL('../schema/generated/docs.json', import.meta.url), 'utf8');
    loaded = docsFromDescriptor(JSON.parse(text) as DocsDescriptor);
  }
  return loaded;
}
