import { forbidden, notFound } from '../../api/errors.ts';
import type { Store } from '../../storage/types.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';
import { admissionErrorName } from '../error-name.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const NS_KEY = (name: string) => builtinKey('', 'namespaces', name);
const NAMESPACES = { group: '', resource: 'namespaces' };

/**
 * NamespaceLifecycle, as upstream's (apiserver admission/plugin/namespace/lifecycle): objects are
 * written only into a namespace that exists, nothing new is created in a terminating one, and the
 * system namespaces cannot be deleted.
 *
 * A mutating plugin, as upstream's, so it runs first in the mutating chain: a create in a
 * terminating namespace is refused for that reason, before ServiceAccount or LimitRanger look
 * for objects the namespace controller has already removed and report their absence instead.
 * Deletions pass only through the validating chain here (upstream runs both on a delete), so the
 * validating half carries the one rule about deletes.
 */
export class NamespaceLifecycle implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'NamespaceLifecycle';
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation === 'CONNECT') return false;
    if (isNamespace(a)) return a.operation === 'DELETE';
    // Cluster-scoped objects, deletions, and access reviews (whose answers must not reveal
    // whether a namespace exists) are always let through.
    if (a.namespace === '' || a.operation === 'DELETE') return false;
    return !(a.resource.group === 'authorization.k8s.io' && a.resource.resource === 'localsubjectaccessreviews');
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    if (a.operation === 'DELETE') {
      if (IMMORTAL_NAMESPACES.has(a.name)) return { allowed: false, error: forbidden(NAMESPACES, a.name, 'this namespace may not be deleted') };
      return { allowed: true };
    }
    const ns = await this.#store.get<{ metadata?: { deletionTimestamp?: string }; status?: { phase?: string } }>(NS_KEY(a.namespace));
    if (!ns) return { allowed: false, error: notFound(NAMESPACES, a.namespace) };
    if (a.operation !== 'CREATE') return { allowed: true };
    if (ns.value.metadata?.deletionTimestamp || ns.value.status?.phase === 'Terminating') {
      const err = forbidden(a.resource, admissionErrorName(a), `unable to create new content in namespace ${a.namespace} because it is being terminated`);
      err.details!.causes = [{ reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' }];
      return { allowed: false, error: err, reason: err.message };
    }
    return { allowed: true };
  }

  validate(a: AdmissionAttributes): Promise<Verdict> {
    return a.operation === 'DELETE' ? this.admit(a) : Promise.resolve({ allowed: true });
  }
}

function isNamespace(a: AdmissionAttributes): boolean {
  return a.kind.group === '' && a.kind.kind === 'Namespace';
}

