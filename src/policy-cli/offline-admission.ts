/**
 * ValidatingAdmissionPolicies evaluated without a server, by the server's own plugin
 * (src/admission/cel/validating-admission-policy.ts) over an in-memory store holding the
 * policies, bindings, params and namespaces of a test. Resources are defaulted first, as the API
 * server defaults an object before validating admission runs.
 *
 * Each policy gets its own store and plugin: the plugin answers a request with its first denial
 * only, and a test wants every policy's verdict on every resource.
 */
import pino from 'pino';
import type { UserInfo } from '../authn/types.ts';
import { AlwaysDenyAuthorizer } from '../authz/always.ts';
import type { Authorizer } from '../authz/types.ts';
import { ValidatingAdmissionPolicyPlugin, VALIDATION_FAILURE_ANNOTATION } from '../admission/cel/validating-admission-policy.ts';
import type { AdmissionAttributes } from '../admission/types.ts';
import { applyDefaults } from '../api/defaults/index.ts';
import { builtinResources } from '../api/registry/builtin.ts';
import { ResourceRegistry } from '../api/registry/registry.ts';
import { objectKey, type ResourceDef } from '../api/registry/resource-def.ts';
import { openSqliteStore } from '../storage/sqlite.ts';
import type { Store } from '../storage/types.ts';
import { createWatchCache } from '../storage/watch-cache.ts';
import { splitApiVersion, type Obj } from './manifests.ts';

export type PolicyResult = 'pass' | 'fail' | 'warn' | 'audit';

export interface PolicyVerdict {
  policy: string;
  result: PolicyResult;
  /** The denial's Status message, the warnings, or the audit annotation's messages. */
  messages: string[];
  /** The denial's HTTP code. */
  code?: number;
  /** Time the policy took on this request. */
  durationMs: number;
}

export interface OfflineInputs {
  policies: Obj[];
  bindings: Obj[];
  /** Param objects (ConfigMaps, ...), read by paramRef as the server reads them. */
  params: Obj[];
  namespaces: Obj[];
}

export interface AdmissionInput {
  object: Obj;
  /** Set for an UPDATE. */
  oldObject?: Obj;
  user?: UserInfo;
}

export const DEFAULT_USER: UserInfo = { username: 'portcullis-policy-test', groups: ['system:authenticated'] };

const VAP = { group: 'admissionregistration.k8s.io', version: 'v1' };
const POLICY_CAP = 500;

interface Slot {
  name: string;
  store: Store;
  plugin: ValidatingAdmissionPolicyPlugin;
  namespaces: Set<string>;
}

const clone = <T>(o: T): T => structuredClone(o);

export class OfflineAdmission {
  readonly #registry: ResourceRegistry;
  readonly #slots: Slot[];
  readonly #namespaces: Map<string, Obj>;

  private constructor(registry: ResourceRegistry, slots: Slot[], namespaces: Map<string, Obj>) {
    this.#registry = registry;
    this.#slots = slots;
    this.#namespaces = namespaces;
  }

  /** `authorizer` answers the policies' `authorizer` checks; by default every check is denied. */
  static async open(inputs: OfflineInputs, authorizer: Authorizer = new AlwaysDenyAuthorizer()): Promise<OfflineAdmission> {
    if (inputs.policies.length > POLICY_CAP) throw new Error(`more than ${POLICY_CAP} policies`);
    const registry = new ResourceRegistry(builtinResources());
    const namespaces = new Map<string, Obj>();
    for (const ns of inputs.namespaces) namespaces.set(ns.metadata.name, prepare(registry, ns, 0));
    const log = pino({ level: 'silent' });
    const slots: Slot[] = [];
    const seen = new Set<string>();
    let uid = 0;
    try {
      for (const p of inputs.policies) {
        const name = String(p.metadata?.name ?? '');
        if (seen.has(name)) throw new Error(`ValidatingAdmissionPolicy "${name}" is given twice`);
        seen.add(name);
        const store = createWatchCache(openSqliteStore({ path: ':memory:', durability: 'normal' }));
        const put = async (o: Obj): Promise<void> => {
          const prepared = prepare(registry, o, ++uid);
          await store.create(keyOf(registry, prepared), prepared);
        };
        await put(p);
        for (const b of inputs.bindings) if (b.spec?.policyName === name) await put(b);
        for (const o of inputs.params) await put(o);
        for (const ns of namespaces.values()) await store.create(keyOf(registry, ns), ns);
        const plugin = new ValidatingAdmissionPolicyPlugin(
          { store, authorizer, now: () => new Date(0), random: () => 0, newUid: () => `offline-${++uid}`, log },
          registry,
        );
        slots.push({ name, store, plugin, namespaces: new Set(namespaces.keys()) });
        await plugin.source.ready();
      }
    } catch (err) {
      await closeSlots(slots);
      throw err;
    }
    return new OfflineAdmission(registry, slots, namespaces);
  }

  /** "Pod default/web", "Namespace team-a": the object as it is evaluated (namespaced kinds default to "default"). */
  describe(o: Obj): string {
    const ns = defOf(this.#registry, o).namespaced ? `${o.metadata?.namespace || 'default'}/` : '';
    return `${o.kind} ${ns}${o.metadata?.name}`;
  }

  policyNames(): string[] {
    return this.#slots.map((s) => s.name);
  }

  /** Every policy's verdict on one request (CREATE, or UPDATE with oldObject). */
  async evaluate(input: AdmissionInput): Promise<PolicyVerdict[]> {
    const object = prepare(this.#registry, input.object, 0);
    const oldObject = input.oldObject ? prepare(this.#registry, input.oldObject, 0) : undefined;
    const def = defOf(this.#registry, object);
    const { group, version } = splitApiVersion(object.apiVersion);
    const namespace = def.namespaced ? String(object.metadata.namespace) : '';
    const a: AdmissionAttributes = {
      operation: oldObject ? 'UPDATE' : 'CREATE',
      object,
      oldObject,
      kind: { group, version, kind: object.kind },
      resource: { group: def.group, version: def.version, resource: def.resource },
      subresource: '',
      namespace,
      name: String(object.metadata.name),
      user: input.user ?? DEFAULT_USER,
      dryRun: false,
    };
    const out: PolicyVerdict[] = [];
    for (const slot of this.#slots) {
      if (namespace) await this.#ensureNamespace(slot, namespace);
      const started = performance.now();
      // As the chain does: policies never see their own configuration objects.
      if (!slot.plugin.handles(a)) {
        out.push({ policy: slot.name, result: 'pass', messages: [], durationMs: performance.now() - started });
        continue;
      }
      // The plugin may change nothing, but a policy must not see another's view of the object.
      const v = await slot.plugin.validate({ ...a, object: clone(object), oldObject: oldObject && clone(oldObject) });
      const durationMs = performance.now() - started;
      if (!v.allowed) out.push({ policy: slot.name, result: 'fail', messages: [v.reason ?? ''], code: v.error?.code ?? v.code ?? 403, durationMs });
      else if (v.warnings?.length) out.push({ policy: slot.name, result: 'warn', messages: v.warnings, durationMs });
      else if (v.auditAnnotations?.[VALIDATION_FAILURE_ANNOTATION]) {
        const failures = JSON.parse(v.auditAnnotations[VALIDATION_FAILURE_ANNOTATION]) as { message: string }[];
        out.push({ policy: slot.name, result: 'audit', messages: failures.map((f) => f.message), durationMs });
      } else out.push({ policy: slot.name, result: 'pass', messages: [], durationMs });
    }
    return out;
  }

  /** A namespace the inputs do not define exists as the server would create it: with its name label only. */
  async #ensureNamespace(slot: Slot, name: string): Promise<void> {
    if (slot.namespaces.has(name)) return;
    let ns = this.#namespaces.get(name);
    if (!ns) this.#namespaces.set(name, (ns = prepare(this.#registry, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 0)));
    await slot.store.create(keyOf(this.#registry, ns), ns);
    slot.namespaces.add(name);
  }

  async close(): Promise<void> {
    await closeSlots(this.#slots);
  }
}

async function closeSlots(slots: Slot[]): Promise<void> {
  for (const s of slots) {
    s.plugin.close();
    await s.store.close();
  }
}

function defOf(registry: ResourceRegistry, o: Obj): ResourceDef {
  const { group, version } = splitApiVersion(String(o.apiVersion));
  const def = registry.byKind(group, version, String(o.kind));
  if (!def) throw new Error(`${o.apiVersion}, Kind=${o.kind} is not a built-in kind (offline evaluation knows the built-in kinds only)`);
  return def;
}

function keyOf(registry: ResourceRegistry, o: Obj): string {
  const def = defOf(registry, o);
  return objectKey(def, def.namespaced ? String(o.metadata.namespace) : '', String(o.metadata.name));
}

/**
 * A copy defaulted as the server defaults it, with what a stored object has: namespace
 * ("default" for namespaced kinds, as kubectl sends), uid, generation, and an observed status
 * for policies (so no status write happens).
 */
function prepare(registry: ResourceRegistry, input: Obj, uid: number): Obj {
  const o = clone(input);
  const def = defOf(registry, o);
  const { group, version } = splitApiVersion(o.apiVersion);
  applyDefaults({ group, version, kind: o.kind }, o);
  o.metadata ??= {};
  if (def.namespaced) o.metadata.namespace ||= 'default';
  else delete o.metadata.namespace;
  if (uid > 0) {
    o.metadata.uid ??= `offline-${uid}`;
    o.metadata.generation ??= 1;
  }
  if (def.group === VAP.group && def.resource === 'validatingadmissionpolicies') o.status = { observedGeneration: o.metadata.generation };
  return o;
}
