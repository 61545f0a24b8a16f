import type { Store } from '../../storage/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

/**
 * NamespaceExists: any write of a namespaced object (create, update, delete) fails with NotFound
 * when its namespace does not exist. Unlike NamespaceLifecycle it says nothing about terminating
 * namespaces.
 */
export class NamespaceExists implements ValidatingPlugin {
  readonly name = 'NamespaceExists';
  readonly #store: Store;

  constructor(deps: PluginDeps) {
    this.#store = deps.store;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation === 'CONNECT' || a.namespace === '') return false;
    return !(a.kind.group === '' && a.kind.kind === 'Namespace');
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    if (await this.#store.get(builtinKey('', 'namespaces', a.namespace))) return { allowed: true };
    return { allowed: false, code: 404, reason: `namespaces "${a.namespace}" not found` };
  }
}
