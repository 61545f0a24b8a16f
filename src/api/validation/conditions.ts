/**
 * metav1.Condition lists (apimachinery's meta/v1/validation ValidateConditions), used by status
 * strategies whose status carries standard conditions (PodDisruptionBudget, ...).
 */
import { duplicate, invalid, notSupported, required, tooLong, type FieldError, type Path } from './field-errors.ts';
import { validateLabelName } from './meta.ts';
import { regexError } from './names.ts';

type Obj = Record<string, any>;

const STATUSES = ['False', 'True', 'Unknown'];
const MAX_REASON = 1024;
const MAX_MESSAGE = 32 * 1024;
const REASON_FMT = '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?';
const REASON_RE = new RegExp(`^${REASON_FMT}$`);
const REASON_MSG =
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'";

const byteLen = (s: string): number => Buffer.byteLength(s, 'utf8');

export function validateCondition(c: Obj, p: Path): FieldError[] {
  const errs = validateLabelName(c.type ?? '', p.child('type'));
  const status = c.status ?? '';
  if (!STATUSES.includes(status)) errs.push(notSupported(p.child('status'), status, STATUSES));
  if (typeof c.observedGeneration === 'number' && c.observedGeneration < 0) {
    errs.push(invalid(p.child('observedGeneration'), c.observedGeneration, 'must be greater than or equal to zero'));
  }
  if (!c.lastTransitionTime) errs.push(required(p.child('lastTransitionTime'), 'must be set'));
  const reason: string = c.reason ?? '';
  if (!reason) errs.push(required(p.child('reason'), 'must be set'));
  else {
    if (!REASON_RE.test(reason)) errs.push(invalid(p.child('reason'), reason, regexError(REASON_MSG, REASON_FMT, 'my_name', 'MY_NAME', 'MyName', 'ReasonA,ReasonB', 'ReasonA:ReasonB')));
    if (byteLen(reason) > MAX_REASON) errs.push(tooLong(p.child('reason'), reason, MAX_REASON));
  }
  if (byteLen(c.message ?? '') > MAX_MESSAGE) errs.push(tooLong(p.child('message'), c.message, MAX_MESSAGE));
  return errs;
}

/** ValidateConditions: each condition, and a type may appear once. */
export function validateConditions(conditions: readonly Obj[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (conditions ?? []).forEach((c, i) => {
    const t = c?.type ?? '';
    if (seen.has(t)) errs.push(duplicate(p.index(i).child('type'), t));
    seen.add(t);
    errs.push(...validateCondition(c ?? {}, p.index(i)));
  });
  return errs;
}
