/**
 * PersistentVolumeClaimResize (plugin/pkg/admission/storage/persistentvolume/resize, on by default
 * upstream): an update that raises a claim's spec.resources.requests.storage is refused unless the
 * claim is Bound and its StorageClass (the same before and after, named by storageClassName or the
 * beta annotation) exists with allowVolumeExpansion: true. Shrinking and other changes are field
 * validation's. Admitting an expansion does not grow anything here: no Portcullis provisioner or
 * node agent resizes a volume (the claim keeps its status.capacity).
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { cmpQty, parseQty } from '../../api/quantity.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

const CLASSES = builtinPrefix('storage.k8s.io', 'storageclasses');
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

type Obj = Record<string, any>;

/** apihelper.GetPersistentVolumeClaimClass: the beta annotation wins over spec.storageClassName. */
export function claimClass(pvc: Obj): string {
  const ann = pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION];
  if (typeof ann === 'string') return ann;
  return typeof pvc.spec?.storageClassName === 'string' ? pvc.spec.storageClassName : '';
}

/** A missing or unparsable request counts as zero, as an absent map entry does upstream. */
const requestedStorage = (pvc: Obj) => parseQty(pvc.spec?.resources?.requests?.storage ?? '0') ?? parseQty('0')!;

export class PersistentVolumeClaimResize implements ValidatingPlugin {
  readonly name = 'PersistentVolumeClaimResize';
  readonly #deps: PluginDeps;

  constructor(deps: PluginDeps) {
    this.#deps = deps;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'UPDATE' && a.resource.group === '' && a.resource.resource === 'persistentvolumeclaims' && a.subresource === '' && !!a.object && !!a.oldObject;
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const pvc = a.object!;
    const old = a.oldObject!;
    if (cmpQty(requestedStorage(pvc), requestedStorage(old)) <= 0) return { allowed: true };
    if (old.status?.phase !== 'Bound') return { allowed: false, reason: 'Only bound persistent volume claims can be expanded' };
    if (!(await this.#allowResize(pvc, old))) return { allowed: false, reason: 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize' };
    return { allowed: true };
  }

  async #allowResize(pvc: Obj, old: Obj): Promise<boolean> {
    const cls = claimClass(pvc);
    if (cls === '' || claimClass(old) === '' || cls !== claimClass(old)) return false;
    const sc = await this.#deps.store.get<Obj>(CLASSES + cls);
    return sc?.value.allowVolumeExpansion === true;
  }
}
