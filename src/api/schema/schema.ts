/**
 * The schema of the built-in kinds, read from the descriptor that scripts/gen-schema.ts generates
 * from the Kubernetes .proto files. Read lazily and once: it is large and not every process needs it.
 */
import { readFileSync } from 'node:fs';
import type { GroupVersionKind, ObjectType, Schema } from './types.ts';

interface KindEntry extends GroupVersionKind {
  type: string;
}

/** The shape of src/api/schema/generated/schema.json. */
export interface SchemaDescriptor {
  kinds: KindEntry[];
  types: Record<string, ObjectType>;
}

function gvkKey(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

export function schemaFromDescriptor(d: SchemaDescriptor): Schema {
  const kinds = new Map<string, string>();
  for (const k of d.kinds) kinds.set(gvkKey(k), k.type);
  const types = new Map<string, ObjectType>(Object.entries(d.types));
  return {
    typeNameForKind: (gvk) => kinds.get(gvkKey(gvk)),
    type: (name) => types.get(name),
  };
}

let loaded: Schema | undefined;

export function loadSchema(): Schema {
  if (!loaded) {
    const text = readFileSync(new URL('./generated/schema.json', import.meta.url), 'utf8');
    loaded = schemaFromDescriptor(JSON.parse(text) as SchemaDescriptor);
  }
  return loaded;
}
