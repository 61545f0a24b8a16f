/**
 * The objects in manifest files, as kubectl apply -f reads them: multi-document YAML or JSON, v1
 * List objects expanded. Bounded, since a test directory is input we do not control.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export type Obj = Record<string, any>;

const MAX_FILE_BYTES = 8 << 20;
const MAX_OBJECTS_PER_FILE = 10_000;

export interface SourcedObject {
  object: Obj;
  /** Where it was read, for messages. */
  file: string;
}

function expand(o: unknown, out: Obj[]): void {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return;
  const obj = o as Obj;
  const kind = String(obj.kind ?? '');
  if (Array.isArray(obj.items) && kind.endsWith('List')) {
    for (const it of obj.items as unknown[]) expand(it, out);
    return;
  }
  out.push(obj);
}

export function readManifestFile(file: string): SourcedObject[] {
  const size = statSync(file).size;
  if (size > MAX_FILE_BYTES) throw new Error(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    expand(doc.toJS({ maxAliasCount: 100 }) as unknown, out);
    if (out.length > MAX_OBJECTS_PER_FILE) throw new Error(`${file}: more than ${MAX_OBJECTS_PER_FILE} objects`);
  }
  for (const o of out) {
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !o.apiVersion || !o.kind) throw new Error(`${file}: an object without apiVersion and kind`);
    if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') throw new Error(`${file}: a ${o.kind} without metadata.name`);
  }
  return out.map((object) => ({ object, file }));
}

/** "apps/v1" -> { group: 'apps', version: 'v1' }; "v1" -> core. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

