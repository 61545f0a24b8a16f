/** ServiceAccount validation: DNS subdomain names; referenced secrets need names. */
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import { path, required, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta } from '../meta.ts';

export function validateServiceAccount(sa: ServiceAccount): FieldError[] {
  const errs = validateObjectMeta(sa.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  (sa.imagePullSecrets ?? []).forEach((ref, i) => {
    if (!ref.name) errs.push(required(path('imagePullSecrets').index(i).child('name')));
  });
  return errs;
}
