/**
 * ValidatingAdmissionPolicies and their bindings, kept current by store watches, compiled once
 * per policy generation, and paired up (upstream's policy source): a policy with no binding is
 * never evaluated; bindings naming a policy that does not exist are ignored. Policies are in name
 * order, each with its bindings in name order.
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import { compilePolicy, type CompiledPolicy } from './compile-policy.ts';
import { compileMatchResources, type CompiledMatch } from './match-resources.ts';
import { gvkString } from './params.ts';
import { PolicyStatusWriter } from './status-writer.ts';
import { WatchedObjects } from '../watched-objects.ts';

const PREFIX = '/registry/admissionregistration.k8s.io/';

export interface BoundBinding {
  binding: ValidatingAdmissionPolicyBinding;
  match: CompiledMatch;
}

export interface PolicyHook {
  name: string;
  policy: ValidatingAdmissionPolicy;
  compiled: CompiledPolicy;
  bindings: BoundBinding[];
  /** The served resource of spec.paramKind. */
  paramDef?: ResourceDef;
  /** Why the policy cannot be evaluated at all (its paramKind is not served). */
  configurationError?: string;
}

export class PolicySource {
  readonly #policies: WatchedObjects<ValidatingAdmissionPolicy>;
  readonly #bindings: WatchedObjects<ValidatingAdmissionPolicyBinding>;
  readonly #registry: ResourceRegistry | undefined;
  readonly #compiled = new Map<string, { key: string; compiled: CompiledPolicy }>();
  readonly #bindingMatch = new WeakMap<ValidatingAdmissionPolicyBinding, CompiledMatch>();
  readonly status: PolicyStatusWriter;
  #hooks: PolicyHook[] | undefined;
  #hooksKey = '';

  constructor(deps: PluginDeps, registry?: ResourceRegistry) {
    this.#registry = registry;
    this.status = new PolicyStatusWriter(deps.store, deps.log, registry);
    this.#policies = new WatchedObjects(deps.store, `${PREFIX}validatingadmissionpolicies/`, deps.log, (_name, p) => {
      if (p) this.status.observe(p);
    });
    this.#bindings = new WatchedObjects(deps.store, `${PREFIX}validatingadmissionpolicybindings/`, deps.log);
  }

  async ready(): Promise<void> {
    await Promise.all([this.#policies.ready(), this.#bindings.ready()]);
  }

  get loaded(): boolean {
    return this.#policies.loaded && this.#bindings.loaded;
  }

  /** Compiled once per policy uid and generation; a new generation replaces the old one. */
  #compile(p: ValidatingAdmissionPolicy): CompiledPolicy {
    const name = p.metadata?.name ?? '';
    const key = `${p.metadata?.uid ?? ''}/${p.metadata?.generation ?? 0}`;
    const hit = this.#compiled.get(name);
    if (hit?.key === key) return hit.compiled;
    const compiled = compilePolicy(p);
    this.#compiled.set(name, { key, compiled });
    return compiled;
  }

  #match(b: ValidatingAdmissionPolicyBinding): CompiledMatch {
    let m = this.#bindingMatch.get(b);
    if (!m) this.#bindingMatch.set(b, (m = compileMatchResources(b.spec?.matchResources)));
    return m;
  }

  hooks(): readonly PolicyHook[] {
    const key = `${this.#policies.version}/${this.#bindings.version}/${this.#registry?.version ?? 0}`;
    if (this.#hooks && this.#hooksKey === key) return this.#hooks;
    const byPolicy = new Map<string, ValidatingAdmissionPolicyBinding[]>();
    for (const b of this.#bindings.values()) {
      const name = b.spec?.policyName;
      if (!name) continue;
      const list = byPolicy.get(name) ?? [];
      list.push(b);
      byPolicy.set(name, list);
    }
    const hooks: PolicyHook[] = [];
    const names = new Set<string>();
    for (const p of this.#policies.values()) {
      const name = p.metadata?.name ?? '';
      names.add(name);
      const bindings = byPolicy.get(name);
      if (!bindings?.length) continue;
      const compiled = this.#compile(p);
      const hook: PolicyHook = {
        name,
        policy: p,
        compiled,
        bindings: bindings.sort((x, y) => ((x.metadata?.name ?? '') < (y.metadata?.name ?? '') ? -1 : 1)).map((b) => ({ binding: b, match: this.#match(b) })),
      };
      if (compiled.paramKind) {
        const { apiVersion, kind } = compiled.paramKind;
        const slash = apiVersion.indexOf('/');
        const def = this.#registry?.byKind(slash < 0 ? '' : apiVersion.slice(0, slash), apiVersion.slice(slash + 1), kind);
        if (def) hook.paramDef = def;
        else hook.configurationError = `failed to find resource referenced by paramKind: '${gvkString(apiVersion, kind)}'`;
      }
      hooks.push(hook);
    }
    for (const name of this.#compiled.keys()) if (!names.has(name)) this.#compiled.delete(name);
    this.#hooks = hooks.sort((x, y) => (x.name < y.name ? -1 : 1));
    this.#hooksKey = key;
    return this.#hooks;
  }

  close(): void {
    this.#policies.close();
    this.#bindings.close();
    this.status.close();
  }
}
