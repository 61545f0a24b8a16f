/** apps/v1 ControllerRevision validation (pkg/apis/apps/validation). */
import { invalid, path, required, type FieldError } from '../field-errors.ts';
import { jsonEqual } from '../equality.ts';
import { FIELD_IMMUTABLE, nameIsDNSSubdomain, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';

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
  // RawExtension: its bytes compared (Semantic.DeepEqual of []byte), so the JSON exactly.
  if (!jsonEqual(cr.data ?? null, old.data ?? null)) errs.push(invalid(path('data'), cr.data ?? null, FIELD_IMMUTABLE));
  return errs;
}
