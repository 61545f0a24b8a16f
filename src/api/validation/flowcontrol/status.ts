/**
 * flowschemas/status and prioritylevelconfigurations/status: upstream's ValidateFlowSchemaStatusUpdate
 * and ValidatePriorityLevelConfigurationStatusUpdate check the conditions only (type set, unique),
 * never the spec or the mandatory-object rules. The ObjectMeta update rules are kept, as the generic
 * registry also applies them.
 */
import { path, type FieldError } from '../field-errors.ts';
import { validateObjectMetaUpdate } from '../meta.ts';
import { validateConditions } from './flowcontrol.ts';

type Obj = Record<string, any>;

/** Both kinds share the same status shape and rules. */
export function validateFlowControlStatusUpdate(o: Obj, old: Obj): FieldError[] {
  return [...validateConditions(o.status, path('status')), ...validateObjectMetaUpdate(o.metadata, old.metadata)];
}
