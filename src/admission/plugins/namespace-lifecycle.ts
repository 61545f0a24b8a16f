import type { Store } from '../../storage/types.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';

const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const NS_KEY = (name: string) => `/registry/core/namespaces/${name}`;

/**
 * NamespaceLifecycle, the part the core needs: objects are created only in a namespace that
 * exists and is not terminating, and the system namespaces cannot be deleted. (Issue 6 grows the
 * rest of the admission plugins around it.)
 */
export class NamespaceLifecycle implements ValidatingPlugin {
  readonly name = 'NamespaceLifecycle';
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.resource.group === '' && a.resource.resource === 'namespaces') return a.operation === 'DELETE';
    return a.operation === 'CREATE' && a.namespace !== '' && a.subresource === '';
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    if (a.operation === 'DELETE') {
      if (IMMORTAL_NAMESPACES.has(a.name)) return { allowed: false, reason: 'this namespace may not be deleted' };
      return { allowed: true };
    }
    const ns = await this.#store.get<{ metadata?: { deletionTimestamp?: string }; status?: { phase?: string } }>(NS_KEY(a.namespace));
    if (!ns) return { allowed: false, code: 404, reason: `namespaces "${a.namespace}" not found` };
    if (ns.value.metadata?.deletionTimestamp || ns.value.status?.phase === 'Terminating') {
      return { allowed: false, reason: `unable to create new content in namespace ${a.namespace} because it is being terminated` };
    }
    return { allowed: true };
  }
}
