/** apps/v1 ControllerRevision validation (pkg/apis/apps/validation). */
import { path, required, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateImmutable, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';

type Obj = Record<string, any>;

export function validateControllerRevision(cr: Obj): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  if (cr.data === undefined || cr.data === null) errs.push(required(path('data'), 'data is mandatory'));
  errs.push(...validateNonnegative(cr.revision, path('revision')));
  return errs;
}

/** Only the revision number may change (the controller renumbers histories). */
export function validateControllerRevisionUpdate(cr: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(cr.metadata, old.metadata);
  errs.push(...validateControllerRevision(cr).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...validateImmutable(cr.data ?? null, old.data ?? null, path('data')));
  return errs;
}
