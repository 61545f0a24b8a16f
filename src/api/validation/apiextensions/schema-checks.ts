/**
 * Checks on a CRD version's openAPIV3Schema that upstream makes when the CRD is created or
 * updated, for what the server would otherwise only discover while serving: every `pattern`
 * must compile as RE2 (Go regexp), and every x-kubernetes-validations rule must compile, be
 * boolean, have a string messageExpression and a known reason, and use optionalOldSelf only
 * with oldSelf.
 */
import type { FieldError, Path } from '../field-errors.ts';
import { GoValue, goQuote, invalid, notSupported, required } from '../field-errors.ts';
import type { JSONSchemaProps } from '../../crd/json-schema-props.ts';
import { isJsonObject } from '../../crd/json-schema-props.ts';
import { compileRe2 } from '../../../cel/re2.ts';
import { compiledRules, RULE_REASONS, validationRules, type ValidationRule } from '../../crd/cel-rules.ts';

/** Schemas nest at most this deep here too (see openapi-validate.ts). */
const MAX_DEPTH = 100;

/** The rule as Go's %#v prints apiextensions.ValidationRule, which upstream uses as the bad value. */
function goRule(r: ValidationRule): GoValue {
  const ptr = (t: string, v: string | boolean | undefined) => (v === undefined ? `(${t})(nil)` : `(${t})(${typeof v === 'string' ? goQuote(v) : v})`);
  return new GoValue(
    `apiextensions.ValidationRule{Rule:${goQuote(r.rule)}, Message:${goQuote(r.message ?? '')}, MessageExpression:${goQuote(r.messageExpression ?? '')}, ` +
      `Reason:${ptr('*apiextensions.FieldValueErrorReason', r.reason)}, FieldPath:${goQuote(r.fieldPath ?? '')}, OptionalOldSelf:${ptr('*bool', r.optionalOldSelf)}}`,
  );
}

function checkRules(s: JSONSchemaProps, p: Path, errs: FieldError[]): void {
  const rules = validationRules(s);
  const compiled = compiledRules(s);
  rules.forEach((r, i) => {
    const rp = p.child('x-kubernetes-validations').index(i);
    for (const problem of compiled[i]!.problems) {
      const fp = rp.child(problem.field);
      if (problem.kind === 'required') errs.push(required(fp, problem.detail));
      else errs.push(invalid(fp, problem.field === 'optionalOldSelf' ? r.optionalOldSelf : goRule(r), problem.detail));
    }
    if (r.reason !== undefined && !RULE_REASONS.includes(r.reason)) errs.push(notSupported(rp.child('reason'), r.reason, RULE_REASONS));
    if (/[\r\n]/.test(r.message ?? '')) errs.push(invalid(rp.child('message'), r.message, 'message must not contain line breaks'));
  });
}

function walk(s: JSONSchemaProps, p: Path, depth: number, errs: FieldError[]): void {
  if (depth > MAX_DEPTH) return;
  if (typeof s.pattern === 'string' && s.pattern !== '') {
    const re = compileRe2(s.pattern);
    if (!re.ok) errs.push(invalid(p.child('pattern'), s.pattern, `must be a valid regular expression, but isn't: ${re.error}`));
  }
  if (s['x-kubernetes-validations'] !== undefined) checkRules(s, p, errs);
  const sub = (x: unknown, q: Path) => {
    if (isJsonObject(x)) walk(x as JSONSchemaProps, q, depth + 1, errs);
  };
  for (const [k, x] of Object.entries(isJsonObject(s.properties) ? s.properties : {})) sub(x, p.child('properties').key(k));
  sub(s.additionalProperties, p.child('additionalProperties'));
  sub(s.items, p.child('items'));
  sub(s.not, p.child('not'));
  for (const kw of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[kw];
    if (Array.isArray(list)) list.forEach((x, i) => sub(x, p.child(kw).index(i)));
  }
}

/** Errors for one version's schema; `p` is spec.versions[i].schema.openAPIV3Schema. */
export function validateSchemaExpressions(schema: unknown, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (isJsonObject(schema)) walk(schema as JSONSchemaProps, p, 0, errs);
  return errs;
}
