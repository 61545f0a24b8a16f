import type { ResourceDef } from './resource-def.ts';
import { groupVersion } from './resource-def.ts';

/** The served resources, by group/version/resource; CRDs are added and removed at run time. */
export class ResourceRegistry {
  readonly #byGVR = new Map<string, ResourceDef>();
  #version = 0;

  constructor(defs: ResourceDef[] = []) {
    for (const d of defs) this.add(d);
  }

  /** Bumped on every change, so discovery documents can be cached. */
  get version(): number {
    return this.#version;
  }

  add(def: ResourceDef): void {
    this.#byGVR.set(key(def.group, def.version, def.resource), def);
    this.#version++;
  }

  remove(group: string, version: string, resource: string): void {
    if (this.#byGVR.delete(key(group, version, resource))) this.#version++;
  }

  get(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.#byGVR.get(key(group, version, resource));
  }

  all(): ResourceDef[] {
    return [...this.#byGVR.values()];
  }

  /** Resource served for a kind in a group/version (used to check bodies and owner references). */
  byKind(group: string, version: string, kind: string): ResourceDef | undefined {
    for (const d of this.#byGVR.values()) if (d.group === group && d.version === version && d.kind === kind) return d;
    return undefined;
  }

  /** Group/versions served, in a stable order (core first). */
  groupVersions(): string[] {
    return [...new Set(this.all().map(groupVersion))];
  }
}

function key(g: string, v: string, r: string): string {
  return `${g}/${v}/${r}`;
}
