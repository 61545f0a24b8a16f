/**
 * The trust policies in force, kept current by store watches (as the admission plugins' other
 * configuration: WatchedObjects) and compiled once per policy version. A stored policy that does
 * not compile (written before the plugin checked writes, or while it was off) is kept as a
 * policy that fails every image it names: fail closed, never skipped.
 */
import type { Logger } from 'pino';
import { customResourcePrefix } from '../../api/registry/resource-def.ts';
import { aggregateMessage } from '../../api/validation/field-errors.ts';
import type { Store } from '../../storage/types.ts';
import { WatchedObjects } from '../../admission/watched-objects.ts';
import type { ImageReference } from '../reference.ts';
import { compilePolicy, type CompiledPolicy, type PolicyKind } from './compile.ts';
import { CLUSTER_POLICY_PLURAL, POLICY_GROUP, POLICY_PLURAL } from './crds.ts';
import { compileGlob, globMatches } from './glob.ts';

type Obj = { metadata?: { name?: string; namespace?: string; uid?: string; generation?: number }; spec?: unknown };

/** A policy that failed to compile: it matches what its globs name (or everything) and denies. */
export interface BrokenPolicy extends CompiledPolicy {
  broken: string;
}

export class PolicySource {
  readonly #cluster: WatchedObjects<Obj>;
  readonly #namespaced: WatchedObjects<Obj>;
  readonly #compiled = new Map<string, CompiledPolicy>();

  constructor(store: Store, log: Logger) {
    const forget = (kind: string) => (name: string) => this.#compiled.delete(`${kind}/${name}`);
    this.#cluster = new WatchedObjects(store, customResourcePrefix(POLICY_GROUP, CLUSTER_POLICY_PLURAL), log, forget('ClusterImagePolicy'));
    this.#namespaced = new WatchedObjects(store, customResourcePrefix(POLICY_GROUP, POLICY_PLURAL), log, forget('ImagePolicy'));
  }

  async ready(): Promise<void> {
    await Promise.all([this.#cluster.ready(), this.#namespaced.ready()]);
  }

  /** Whether any policy exists at all (no policy: the plugin admits without a look). */
  get empty(): boolean {
    return this.#cluster.size === 0 && this.#namespaced.size === 0;
  }

  #compile(kind: PolicyKind, obj: Obj): CompiledPolicy {
    const id = kind === 'ClusterImagePolicy' ? `${kind}/${obj.metadata?.name}` : `${kind}/${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const version = `${obj.metadata?.uid ?? ''}/${obj.metadata?.generation ?? 0}`;
    const hit = this.#compiled.get(id);
    if (hit && hit.version === version) return hit;
    const { policy, errors } = compilePolicy(obj as Record<string, any>, kind);
    const out: CompiledPolicy = policy ?? brokenPolicy(kind, obj, version, aggregateMessage(errors));
    this.#compiled.set(id, out);
    return out;
  }

  /** Every policy (cluster-wide, and the namespace's own) whose globs match the image. */
  matching(namespace: string, image: string, ref: ImageReference): CompiledPolicy[] {
    const out: CompiledPolicy[] = [];
    for (const o of this.#cluster.values()) {
      const p = this.#compile('ClusterImagePolicy', o);
      if (p.globs.some((g) => globMatches(g, image, ref))) out.push(p);
    }
    for (const o of this.#namespaced.values()) {
      if (o.metadata?.namespace !== namespace) continue;
      const p = this.#compile('ImagePolicy', o);
      if (p.globs.some((g) => globMatches(g, image, ref))) out.push(p);
    }
    return out;
  }

  close(): void {
    this.#cluster.close();
    this.#namespaced.close();
  }
}

function brokenPolicy(kind: PolicyKind, obj: Obj, version: string, why: string): BrokenPolicy {
  const name = String(obj.metadata?.name ?? '');
  const namespace = kind === 'ImagePolicy' ? String(obj.metadata?.namespace ?? '') : '';
  const label = kind === 'ClusterImagePolicy' ? `ClusterImagePolicy "${name}"` : `ImagePolicy "${namespace}/${name}"`;
  // Globs that do not compile cannot say what they cover: then the policy covers every image.
  let globs: RegExp[];
  try {
    const images = (obj.spec as { images?: Array<{ glob?: unknown }> } | undefined)?.images ?? [];
    globs = images.map((i) => compileGlob(String(i?.glob ?? '')));
    if (globs.length === 0) globs = [/^/];
  } catch {
    globs = [/^/];
  }
  return { kind, namespace, name, label, version, mode: 'enforce', globs, authorities: [], broken: why };
}

export function isBroken(p: CompiledPolicy): p is BrokenPolicy {
  return typeof (p as BrokenPolicy).broken === 'string';
}
