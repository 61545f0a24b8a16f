/**
 * One label selector requirement (labels.Requirement) and its validation, labels.NewRequirement
 * with upstream's aggregate messages. Shared by the selector (label-selector.ts), its parser
 * (label-selector-parser.ts) and authorization's field and label selector attributes.
 */
import { aggregateMessage, invalid, notSupported, path, type FieldError, type Path } from '../validation/field-errors.ts';
import { isQualifiedName, isValidLabelValue } from '../validation/names.ts';

export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted and de-duplicated, as upstream's sets.String.List(). */
  values: string[];
}

/** A selector that does not parse or validate; callers turn it into a 400 with its message. */
export class SelectorError extends Error {}

/** strconv.ParseInt(s, 10, 64), for the gt and lt operators. */
export function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

const VALID_OPERATORS = ['!', '=', '==', 'in', '!=', 'notin', 'exists', 'gt', 'lt'];

/** labels.NewRequirement: validates and builds; throws the aggregate message as upstream returns it. */
export function newRequirement(key: string, operator: Operator, values: string[], p?: Path): Requirement {
  const errs: FieldError[] = [];
  const keyPath = p ? p.child('key') : path('key');
  const valuesPath = p ? p.child('values') : path('values');
  const km = isQualifiedName(key);
  if (km.length) errs.push(invalid(keyPath, key, km.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalid(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid(valuesPath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalid(valuesPath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalid(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(invalid(valuesPath.index(i), v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
    default:
      errs.push(notSupported(p ? p.child('operator') : path('operator'), operator, VALID_OPERATORS));
  }
  values.forEach((v, i) => {
    const vm = isValidLabelValue(v);
    if (vm.length) errs.push(invalid(valuesPath.index(i).key(key), v, vm.join('; ')));
  });
  if (errs.length) throw new SelectorError(aggregateMessage(errs));
  return { key, operator, values };
}
