/**
 * validatingadmissionpolicies/status: upstream's ValidateValidatingAdmissionPolicyStatusUpdate checks
 * typeChecking.expressionWarnings (warning and fieldRef required) and the metav1 conditions, not the
 * policy's expressions again (an old policy whose CEL no longer compiles can still get its status).
 * The fieldRef JSONPath parse check is not ported: our JSONPath is a subset of Go's and would refuse
 * refs Go accepts. The ObjectMeta update rules are kept, as the generic registry also applies them.
 */
import { path, required, type FieldError } from '../field-errors.ts';
import { validateObjectMetaUpdate } from '../meta.ts';
import { validateConditions } from '../conditions.ts';

type Obj = Record<string, any>;

export function validateValidatingAdmissionPolicyStatusUpdate(vap: Obj, old: Obj): FieldError[] {
  const p = path('status');
  const errs: FieldError[] = [];
  ((vap.status?.typeChecking?.expressionWarnings ?? []) as Obj[]).forEach((w, i) => {
    const wp = p.child('typeChecking', 'expressionWarnings').index(i);
    if (!w?.warning) errs.push(required(wp.child('warning')));
    if (!String(w?.fieldRef ?? '').trim()) errs.push(required(wp.child('fieldRef')));
  });
  errs.push(...validateConditions(vap.status?.conditions, p.child('conditions')));
  errs.push(...validateObjectMetaUpdate(vap.metadata, old.metadata));
  return errs;
}
