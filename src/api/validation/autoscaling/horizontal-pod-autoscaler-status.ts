/**
 * horizontalpodautoscalers/status: upstream's ValidateHorizontalPodAutoscalerStatusUpdate, ObjectMeta
 * update rules plus nonnegative currentReplicas and desiredReplicas; the spec is not judged again.
 * Both fields have the same names in autoscaling/v1 and v2.
 */
import { path, type FieldError } from '../field-errors.ts';
import { validateNonnegative, validateObjectMetaUpdate } from '../meta.ts';

type Obj = Record<string, any>;

export function validateHorizontalPodAutoscalerStatusUpdate(hpa: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(hpa.metadata, old.metadata);
  errs.push(...validateNonnegative(hpa.status?.currentReplicas, path('status', 'currentReplicas')));
  errs.push(...validateNonnegative(hpa.status?.desiredReplicas, path('status', 'desiredReplicas')));
  return errs;
}
