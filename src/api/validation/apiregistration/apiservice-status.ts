/**
 * apiservices/status: upstream's ValidateAPIServiceStatusUpdate, ObjectMeta update rules plus each
 * condition's status being True, False or Unknown; the spec is not judged again.
 */
import { notSupported, path, type FieldError } from '../field-errors.ts';
import { validateObjectMetaUpdate } from '../meta.ts';

type Obj = Record<string, any>;
const STATUSES = ['True', 'False', 'Unknown'];

export function validateAPIServiceStatusUpdate(a: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(a.metadata, old.metadata);
  ((a.status?.conditions ?? []) as Obj[]).forEach((c, i) => {
    const s = c?.status ?? '';
    if (!STATUSES.includes(s)) errs.push(notSupported(path('status', 'conditions').index(i).child('status'), s, STATUSES));
  });
  return errs;
}
