/**
 * poddisruptionbudgets/status (policy/v1): upstream's podDisruptionBudgetStatusStrategy runs
 * ValidatePodDisruptionBudgetStatusUpdate (conditions, then four nonnegative counters) and not the
 * spec rules. The ObjectMeta update rules are kept, as the generic registry also applies them.
 */
import { path, type FieldError } from '../field-errors.ts';
import { validateNonnegative, validateObjectMetaUpdate } from '../meta.ts';
import { validateConditions } from '../conditions.ts';

type Obj = Record<string, any>;

export function validatePodDisruptionBudgetStatusUpdate(pdb: Obj, old: Obj): FieldError[] {
  const s: Obj = pdb.status ?? {};
  const p = path('status');
  const errs = validateConditions(s.conditions, p.child('conditions'));
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) errs.push(...validateNonnegative(s[f], p.child(f)));
  errs.push(...validateObjectMetaUpdate(pdb.metadata, old.metadata));
  return errs;
}
