/**
 * DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault): a claim created
 * without a class (no storageClassName, no beta annotation; "" is a choice and is left alone)
 * gets the default StorageClass, the newest when several are marked default. No default class:
 * the claim is left as it is (the PV binder assigns one retroactively if one appears).
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, Verdict } from '../types.ts';
import { defaultClass } from '../../api/default-storage-class.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

const CLASSES = builtinPrefix('storage.k8s.io', 'storageclasses');

export class DefaultStorageClass implements MutatingPlugin {
  readonly name = 'DefaultStorageClass';
  readonly #deps: PluginDeps;

  constructor(deps: PluginDeps) {
    this.#deps = deps;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.resource.group === '' && a.resource.resource === 'persistentvolumeclaims' && a.subresource === '' && !!a.object;
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const pvc = a.object!;
    const hasClass = (pvc.spec?.storageClassName !== undefined && pvc.spec?.storageClassName !== null) || pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined;
    if (hasClass) return { allowed: true };
    const classes = (await this.#deps.store.list<{ metadata: { name?: string } }>(CLASSES)).items.map((i) => i.value);
    const def = defaultClass(classes);
    if (!def) return { allowed: true };
    pvc.spec = { ...(pvc.spec ?? {}), storageClassName: def.metadata.name };
    return { allowed: true, patches: [{ op: 'add', path: '/spec/storageClassName', value: def.metadata.name }] };
  }
}
