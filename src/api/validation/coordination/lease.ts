/** coordination.k8s.io/v1 Lease validation. */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { invalid, path, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateNonnegative, validateObjectMeta } from '../meta.ts';

export function validateLease(lease: Lease): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const d = lease.spec?.leaseDurationSeconds;
  if (d !== undefined && d !== null && d <= 0) errs.push(invalid(sp.child('leaseDurationSeconds'), d, 'must be greater than 0'));
  errs.push(...validateNonnegative(lease.spec?.leaseTransitions, sp.child('leaseTransitions')));
  return errs;
}
