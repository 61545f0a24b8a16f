/**
 * The policy files as the admission plugins read them: an in-memory store holding each object
 * under the key the API server would store it at, defaulted as the API server defaults it. The
 * plugins (ImageVerification, ValidatingAdmissionPolicy) then run unchanged, as inside the API
 * server: the webhook evaluates what the cluster would.
 *
 * Trust policies that do not compile stop the start (the API server refuses them with 422; a
 * webhook has no write to refuse, so it refuses to serve them). Kinds the webhook has no use for
 * are refused by name rather than ignored: a file the operator meant as policy is never dropped.
 */
import { aggregateMessage } from '../api/validation/field-errors.ts';
import { applyDefaults } from '../api/defaults/index.ts';
import { builtinResources, mutatingAdmissionPolicyResources } from '../api/registry/builtin.ts';
import { ResourceRegistry } from '../api/registry/registry.ts';
import { customResourcePrefix, objectKey } from '../api/registry/resource-def.ts';
import { compilePolicy, type PolicyKind } from '../image-policy/trust-policy/compile.ts';
import { CLUSTER_POLICY_PLURAL, POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION } from '../image-policy/trust-policy/crds.ts';
import { openSqliteStore } from '../storage/sqlite.ts';
import type { Store } from '../storage/types.ts';
import { createWatchCache } from '../storage/watch-cache.ts';
import type { Obj, SourcedObject } from './policy-files.ts';

export interface PolicyStore {
  store: Store;
  registry: ResourceRegistry;
  /** How many objects of each kind were loaded (for the start-up line and tests). */
  counts: Record<string, number>;
}

const VAP_GROUP = 'admissionregistration.k8s.io';
function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Where an object is stored, or why the webhook does not take it. */
function keyOf(registry: ResourceRegistry, o: Obj, file: string): string {
  const { group, version } = splitApiVersion(o.apiVersion);
  const name = String(o.metadata.name);
  if (group === POLICY_GROUP) {
    if (version !== POLICY_VERSION) throw new Error(`${file}: ${o.kind} "${name}": ${POLICY_GROUP}/${version} is not served (use ${POLICY_GROUP}/${POLICY_VERSION})`);
    if (o.kind === 'ClusterImagePolicy') return `${customResourcePrefix(POLICY_GROUP, CLUSTER_POLICY_PLURAL)}${name}`;
    if (o.kind === 'ImagePolicy') return `${customResourcePrefix(POLICY_GROUP, POLICY_PLURAL)}${o.metadata.namespace}/${name}`;
  }
  const def = registry.byKind(group, version, o.kind);
  // Params may be of any built-in kind; anything else is refused by name.
  if (!def) throw new Error(`${file}: ${o.apiVersion}, Kind=${o.kind} "${name}": not a kind the webhook reads (trust policies, admission policies and bindings, and their params, Namespaces and Secrets)`);
  return objectKey(def, def.namespaced ? String(o.metadata.namespace) : '', name);
}

function prepare(registry: ResourceRegistry, input: Obj, uid: number): Obj {
  const o = structuredClone(input);
  const { group, version } = splitApiVersion(o.apiVersion);
  applyDefaults({ group, version, kind: o.kind }, o);
  const namespaced = group === POLICY_GROUP ? o.kind === 'ImagePolicy' : (registry.byKind(group, version, o.kind)?.namespaced ?? false);
  if (namespaced) o.metadata.namespace ||= 'default';
  else delete o.metadata.namespace;
  // What a stored object has: the trust policies' verdict cache is keyed by uid and generation.
  o.metadata.uid ??= `webhook-file-${uid}`;
  o.metadata.generation ??= 1;
  o.metadata.resourceVersion = undefined;
  // Observed already: the plugin has no status to write back (there is no API server here).
  if (group === VAP_GROUP && o.kind === 'ValidatingAdmissionPolicy') o.status = { observedGeneration: o.metadata.generation };
  return o;
}

/** Loads the objects into a new in-memory store; throws on the first object that cannot be served. */
export async function loadPolicyStore(objects: readonly SourcedObject[]): Promise<PolicyStore> {
  // MutatingAdmissionPolicies are read too: the webhook's /mutate applies them.
  const registry = new ResourceRegistry([...builtinResources(), ...mutatingAdmissionPolicyResources()]);
  const store = createWatchCache(openSqliteStore({ path: ':memory:', durability: 'normal' }));
  const counts: Record<string, number> = {};
  const where = new Map<string, string>();
  let uid = 0;
  try {
    for (const { object, file } of objects) {
      const { group } = splitApiVersion(object.apiVersion);
      const name = `${object.kind} "${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}"`;
      const o = prepare(registry, object, ++uid);
      if (group === POLICY_GROUP) {
        const { errors } = compilePolicy(o, o.kind as PolicyKind);
        if (errors.length > 0) throw new Error(`${file}: ${name} does not compile: ${aggregateMessage(errors)}`);
      }
      const key = keyOf(registry, o, file);
      const first = where.get(key);
      if (first !== undefined) throw new Error(`${file}: ${name} is also defined in ${first}`);
      where.set(key, file);
      await store.create(key, o);
      counts[o.kind] = (counts[o.kind] ?? 0) + 1;
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  return { store, registry, counts };
}
