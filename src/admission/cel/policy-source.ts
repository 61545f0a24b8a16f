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
import type { AdmissionAttributes } from '../types.ts';
import { compileMatchResources, resourceRulesMayMatch, type CompiledMatch } from './match-resources.ts';
import { gvkString } from './params.ts';
import { PolicyStatusWriter } from './status-writer.ts';
import { WatchedObjects } from '../watched-objects.ts';
import { builtinGroupPrefix } from '../../api/registry/resource-def.ts';

const PREFIX = builtinGroupPrefix('admissionregistration.k8s.io');
/** Request kinds remembered by candidates() before it starts over. */
const MAX_KINDS = 4096;

export interface BoundBinding {
  binding: ValidatingAdmissionPolicyBinding;
  match: CompiledMatch;
}

export interface PolicyHook<C extends CompiledPolicy = CompiledPolicy> {
  name: string;
  policy: ValidatingAdmissionPolicy;
  compiled: C;
  bindings: BoundBinding[];
  /** The served resource of spec.paramKind. */
  paramDef?: ResourceDef;
  /** Why the policy cannot be evaluated at all (its paramKind is not served). */
  configurationError?: string;
}

/**
 * Which policy kind a source watches: ValidatingAdmissionPolicy by default; MutatingAdmissionPolicy
 * passes its resources and compiler, and has no status to write.
 */
export interface PolicyKind<C extends CompiledPolicy> {
  policies: string;
  bindings: string;
  compile: (p: ValidatingAdmissionPolicy) => C;
  writeStatus: boolean;
}

const VALIDATING: PolicyKind<CompiledPolicy> = { policies: 'validatingadmissionpolicies', bindings: 'validatingadmissionpolicybindings', compile: compilePolicy, writeStatus: true };

export class PolicySource<C extends CompiledPolicy = CompiledPolicy> {
  readonly #policies: WatchedObjects<ValidatingAdmissionPolicy>;
  readonly #bindings: WatchedObjects<ValidatingAdmissionPolicyBinding>;
  readonly #registry: ResourceRegistry | undefined;
  readonly #kind: PolicyKind<C>;
  readonly #compiled = new Map<string, { key: string; compiled: C }>();
  readonly #bindingMatch = new WeakMap<ValidatingAdmissionPolicyBinding, CompiledMatch>();
  readonly status: PolicyStatusWriter;
  #hooks: PolicyHook<C>[] | undefined;
  #hooksKey = '';
  /** Per request kind (operation, resource, subresource, scope): the hooks whose rules may select it. */
  readonly #byKind = new Map<string, readonly PolicyHook<C>[]>();

  constructor(deps: PluginDeps, registry?: ResourceRegistry, kind: PolicyKind<C> = VALIDATING as unknown as PolicyKind<C>) {
    this.#registry = registry;
    this.#kind = kind;
    this.status = new PolicyStatusWriter(deps.store, deps.log, registry);
    this.#policies = new WatchedObjects(deps.store, `${PREFIX}${kind.policies}/`, deps.log, (_name, p) => {
      if (p && kind.writeStatus) this.status.observe(p);
    });
    this.#bindings = new WatchedObjects(deps.store, `${PREFIX}${kind.bindings}/`, deps.log);
  }

  async ready(): Promise<void> {
    await Promise.all([this.#policies.ready(), this.#bindings.ready()]);
  }

  get loaded(): boolean {
    return this.#policies.loaded && this.#bindings.loaded;
  }

  /** Compiled once per policy uid and generation; a new generation replaces the old one. */
  #compile(p: ValidatingAdmissionPolicy): C {
    const name = p.metadata?.name ?? '';
    const key = `${p.metadata?.uid ?? ''}/${p.metadata?.generation ?? 0}`;
    const hit = this.#compiled.get(name);
    if (hit?.key === key) return hit.compiled;
    const compiled = this.#kind.compile(p);
    this.#compiled.set(name, { key, compiled });
    return compiled;
  }

  #match(b: ValidatingAdmissionPolicyBinding): CompiledMatch {
    let m = this.#bindingMatch.get(b);
    if (!m) this.#bindingMatch.set(b, (m = compileMatchResources(b.spec?.matchResources)));
    return m;
  }

  hooks(): readonly PolicyHook<C>[] {
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
    const hooks: PolicyHook<C>[] = [];
    const names = new Set<string>();
    for (const p of this.#policies.values()) {
      const name = p.metadata?.name ?? '';
      names.add(name);
      const bindings = byPolicy.get(name);
      if (!bindings?.length) continue;
      const compiled = this.#compile(p);
      const hook: PolicyHook<C> = {
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
    this.#byKind.clear();
    return this.#hooks;
  }

  /**
   * The hooks whose policy's resourceRules may select a request like `a` (in policy order): an
   * index by request kind, so a request costs no matching of the policies for other resources.
   * Bounded: the kinds are the served resources' operations and subresources.
   */
  candidates(a: AdmissionAttributes): readonly PolicyHook<C>[] {
    const hooks = this.hooks();
    const key = `${a.operation}|${a.resource.group}|${a.resource.version}|${a.resource.resource}|${a.subresource}|${a.namespace === '' ? 'c' : 'n'}`;
    let found = this.#byKind.get(key);
    if (!found) {
      if (this.#byKind.size >= MAX_KINDS) this.#byKind.clear();
      const deps = this.#registry ? { registry: this.#registry } : {};
      this.#byKind.set(key, (found = hooks.filter((h) => resourceRulesMayMatch(deps, h.compiled.match, a))));
    }
    return found;
  }

  close(): void {
    this.#policies.close();
    this.#bindings.close();
    this.status.close();
  }
}
