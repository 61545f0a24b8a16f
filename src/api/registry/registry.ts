import type { ResourceDef } from './resource-def.ts';
import { groupVersion } from './resource-def.ts';

/**
 * The served resources, by group/version/resource; CRDs are added and removed at run time.
 * A custom resource can never take a built-in's place: routing by group/version/resource would
 * otherwise hand a CRD the requests (and the authorization) meant for a built-in.
 */
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

  /** Throws when a custom resource would shadow a built-in or another CRD's resource (see customConflict). */
  add(def: ResourceDef): void {
    if (def.custom !== undefined) {
      const conflict = this.customConflict(def);
      if (conflict !== undefined) throw new Error(conflict);
    }
    this.#byGVR.set(key(def.group, def.version, def.resource), def);
    this.#version++;
  }

  /**
   * Why a custom resource may not be served, or undefined. Built-ins own their group/resource at
   * every version (a CRD for clusterrolebindings at v2 would be read as RBAC by clients and
   * humans alike) and their group/versions (discovery and routing of a built-in group/version
   * belong to the built-in API); a CRD owns its group/resource at all of its versions.
   */
  customConflict(def: Pick<ResourceDef, 'group' | 'version' | 'resource' | 'custom'>): string | undefined {
    const crdName = def.custom?.crdName;
    for (const d of this.#byGVR.values()) {
      if (d.group !== def.group) continue;
      if (d.custom === undefined) {
        if (d.resource === def.resource) return `${def.resource}.${def.group} is a built-in resource`;
        if (d.version === def.version) return `${groupVersion(def)} is a built-in API group/version`;
      } else if (d.resource === def.resource && d.custom.crdName !== crdName) {
        return `${def.resource}.${def.group} is served by CustomResourceDefinition ${d.custom.crdName}`;
      }
    }
    return undefined;
  }

  /** Built-in resources of a group, at any version: the names a CRD in that group may not claim. */
  builtinsInGroup(group: string): ResourceDef[] {
    return this.all().filter((d) => d.group === group && d.custom === undefined);
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
    return [...this.#served().list];
  }

  /** Whether "group/version" is served here. Asked for every /apis/ request (aggregation), so it is not rebuilt per call. */
  servesGroupVersion(gv: string): boolean {
    return this.#served().set.has(gv);
  }

  /** The served group/versions as of the registry's version: rebuilt only after a change. */
  #servedMemo: { version: number; list: readonly string[]; set: ReadonlySet<string> } | undefined;

  #served(): { list: readonly string[]; set: ReadonlySet<string> } {
    if (this.#servedMemo?.version !== this.#version) {
      const set = new Set(this.all().map(groupVersion));
      this.#servedMemo = { version: this.#version, list: [...set], set };
    }
    return this.#servedMemo;
  }
}

function key(g: string, v: string, r: string): string {
  return `${g}/${v}/${r}`;
}
