/** core/v1 ReplicationController and PodTemplate validation (pkg/apis/core/validation). */
import { path, required, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { validateTemplateForController, trySelector } from '../apps/common.ts';
import { validatePodTemplateSpec, type PodSpecOptions } from './pod-spec.ts';
import { templateUpdateOptions } from './pod-validation-options.ts';

type Obj = Record<string, any>;

export function validateReplicationController(rc: Obj, opts: PodSpecOptions = {}): FieldError[] {
  const errs = validateObjectMeta(rc.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = rc.spec ?? {};
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  // ValidateNonEmptySelector: the selector is a plain label set and must not be empty.
  const set = spec.selector && typeof spec.selector === 'object' ? (spec.selector as Record<string, string>) : {};
  if (Object.keys(set).length === 0) errs.push(required(sp.child('selector')));
  errs.push(...validateNonnegative(spec.replicas, sp.child('replicas')));
  if (!spec.template) errs.push(required(sp.child('template')));
  else {
    const sel = trySelector({ matchLabels: set });
    if (sel) errs.push(...validateTemplateForController(spec.template, sel, 'ReplicationController', sp.child('template'), opts));
  }
  return errs;
}

export function validateReplicationControllerUpdate(rc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(rc.metadata, old.metadata);
  errs.push(...validateReplicationController(rc, templateUpdateOptions(old.spec?.template)).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}

export function validatePodTemplate(pt: Obj): FieldError[] {
  const errs = validateObjectMeta(pt.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validatePodTemplateSpec(pt.template, path('template')));
  return errs;
}

/** ValidatePodTemplateUpdate, with the options GetValidationOptionsFromPodTemplate takes from the stored template. */
export function validatePodTemplateUpdate(pt: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pt.metadata, old.metadata);
  errs.push(...validatePodTemplateSpec(pt.template, path('template'), templateUpdateOptions(old.template)));
  return errs;
}
