/** node.k8s.io/v1 RuntimeClass validation (pkg/apis/node/validation). */
import { invalid, path, type FieldError } from '../field-errors.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain, validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { validateQuantity } from '../core/resource-quota.ts';
import { validateTolerations } from '../core/pod-spec.ts';
import { validateLabels } from '../meta.ts';

type Obj = Record<string, any>;

export function validateRuntimeClass(rc: Obj): FieldError[] {
  const errs = validateObjectMeta(rc.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const handler = typeof rc.handler === 'string' ? rc.handler : '';
  for (const msg of nameIsDNSLabel(handler, false)) errs.push(invalid(path('handler'), handler, msg));
  const podFixed = rc.overhead?.podFixed ?? {};
  for (const [k, v] of Object.entries(podFixed)) errs.push(...validateQuantity(v, path('overhead', 'podFixed').key(k)));
  if (rc.scheduling) {
    errs.push(...validateLabels(rc.scheduling.nodeSelector, path('scheduling', 'nodeSelector')));
    errs.push(...validateTolerations(rc.scheduling.tolerations, path('scheduling', 'tolerations')));
  }
  return errs;
}

export function validateRuntimeClassUpdate(rc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(rc.metadata, old.metadata);
  errs.push(...validateRuntimeClass(rc).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...validateImmutable(rc.handler, old.handler, path('handler')));
  return errs;
}
