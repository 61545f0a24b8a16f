/** Namespace validation: DNS-1123 label names, spec.finalizers qualified names. */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { path, type FieldError } from '../field-errors.ts';
import { nameIsDNSLabel, validateFinalizerName, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, nameFn: nameIsDNSLabel });
  for (const f of ns.spec?.finalizers ?? []) errs.push(...validateFinalizerName(f, path('spec', 'finalizers')));
  return errs;
}

/** Spec and status are ignored by the namespace update strategy; only metadata rules apply. */
export function validateNamespaceUpdate(ns: Namespace, old: Namespace): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata, old.metadata);
}
