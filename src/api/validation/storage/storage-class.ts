/** storage.k8s.io/v1 StorageClass validation (pkg/apis/storage/validation). */
import { forbidden, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { jsonEqual } from '../equality.ts';
import { nameIsDNSSubdomain, validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isQualifiedName } from '../names.ts';

type Obj = Record<string, any>;

const MAX_PROVISIONER_PARAMETER_SIZE = 256 * 1024;
const MAX_PROVISIONER_PARAMETER_LEN = 512;

/** validateProvisioner: a qualified name (checked in lower case), at most 63 characters. */
export function validateProvisioner(provisioner: unknown, p: Path): FieldError[] {
  if (typeof provisioner !== 'string' || provisioner === '') return [required(p)];
  const errs: FieldError[] = [];
  for (const msg of isQualifiedName(provisioner.toLowerCase())) errs.push(invalid(p, provisioner, msg));
  return errs;
}

function validateParameters(params: unknown, p: Path): FieldError[] {
  if (params === undefined || params === null) return [];
  const errs: FieldError[] = [];
  const m = params as Record<string, string>;
  if (Object.keys(m).length > MAX_PROVISIONER_PARAMETER_LEN) {
    errs.push(invalid(p, Object.keys(m).length, `Provisioner Parameters exceeded max allowed ${MAX_PROVISIONER_PARAMETER_LEN}`));
    return errs;
  }
  let size = 0;
  for (const [k, v] of Object.entries(m)) {
    if (k.length < 1) errs.push(invalid(p, k, 'field can not be empty.'));
    size += k.length + String(v).length;
  }
  if (size > MAX_PROVISIONER_PARAMETER_SIZE) errs.push(invalid(p, size, `Provisioner Parameters exceeded max allowed ${MAX_PROVISIONER_PARAMETER_SIZE}`));
  return errs;
}

export function validateStorageClass(sc: Obj): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  errs.push(...validateProvisioner(sc.provisioner, path('provisioner')));
  errs.push(...validateParameters(sc.parameters, path('parameters')));
  if (!['Delete', 'Retain'].includes(sc.reclaimPolicy)) errs.push(notSupported(path('reclaimPolicy'), sc.reclaimPolicy ?? '', ['Delete', 'Retain']));
  if (sc.volumeBindingMode === undefined || sc.volumeBindingMode === null) errs.push(required(path('volumeBindingMode')));
  else if (!['Immediate', 'WaitForFirstConsumer'].includes(sc.volumeBindingMode)) errs.push(notSupported(path('volumeBindingMode'), sc.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  return errs;
}

export function validateStorageClassUpdate(sc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(sc.metadata, old.metadata);
  if (!jsonEqual(sc.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden(path('parameters'), 'updates to parameters are forbidden.'));
  if (sc.provisioner !== old.provisioner) errs.push(forbidden(path('provisioner'), 'updates to provisioner are forbidden.'));
  if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden(path('reclaimPolicy'), 'updates to reclaimPolicy are forbidden.'));
  errs.push(...validateImmutable(sc.volumeBindingMode ?? null, old.volumeBindingMode ?? null, path('volumeBindingMode')));
  return errs;
}
