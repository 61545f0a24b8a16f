import { rfc3339 } from '../../api/time.ts';
import { StorageError, type Store } from '../../storage/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, Verdict } from '../types.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * NamespaceAutoProvision: creating a namespaced object in a namespace that does not exist creates
 * the namespace first (never for a dry run). Upstream creates it through the API; here it is
 * written to storage in the shape the API would have stored.
 */
export class NamespaceAutoProvision implements MutatingPlugin {
  readonly name = 'NamespaceAutoProvision';
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #newUid: () => string;

  constructor(deps: PluginDeps) {
    this.#store = deps.store;
    this.#now = deps.now;
    this.#newUid = deps.newUid;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' || a.dryRun || a.namespace === '') return false;
    return !(a.kind.group === '' && a.kind.kind === 'Namespace');
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const key = builtinKey('', 'namespaces', a.namespace);
    if (await this.#store.get(key)) return { allowed: true };
    if (!DNS1123_LABEL.test(a.namespace) || a.namespace.length > 63) {
      // What creating it through the API would have answered.
      return {
        allowed: false,
        code: 403,
        reason: `Namespace "${a.namespace}" is invalid: metadata.name: Invalid value: "${a.namespace}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      };
    }
    try {
      await this.#store.create(key, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: a.namespace,
          uid: this.#newUid(),
          creationTimestamp: rfc3339(this.#now()),
          labels: { 'kubernetes.io/metadata.name': a.namespace },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'KeyExists')) return { allowed: false, code: 403, reason: (err as Error).message };
    }
    return { allowed: true, reason: `created namespace ${a.namespace}` };
  }
}
