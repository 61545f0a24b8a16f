/**
 * x-kubernetes-validations of one schema node, compiled once (cached per schema node, which lives
 * as long as the CRD generation that holds it) in the shared CEL environment. `self` is the value
 * at the node and `oldSelf` its previous value; with optionalOldSelf, oldSelf is an optional.
 * Values are typed dyn (upstream derives a declared type from the schema; here a reference to an
 * absent field is found when the rule runs, as "no such key", instead of at CRD creation).
 */
import { compileCel, newCelEnvironment, type CelProgram } from '../../cel/environment.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { isJsonObject } from './json-schema-props.ts';

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export const RULE_REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];

export type RuleProblem = { field: 'rule' | 'messageExpression' | 'optionalOldSelf'; kind: 'required' | 'invalid'; detail: string };

export interface CompiledRule {
  rule: ValidationRule;
  program?: CelProgram;
  messageProgram?: CelProgram;
  /** A transition rule: runs only on update, where an old value exists (or always, with optionalOldSelf). */
  usesOldSelf: boolean;
  /** Why the rule cannot run; refused at CRD create/update, so seen at run time only for CRDs stored before. */
  problems: RuleProblem[];
}

const plainEnv = newCelEnvironment({ self: 'dyn', oldSelf: 'dyn' });
const optionalEnv = newCelEnvironment({ self: 'dyn', oldSelf: 'optional<dyn>' });

/** The rules as they arrive in JSON; an entry that is not an object becomes an empty rule. */
export function validationRules(schema: JSONSchemaProps): ValidationRule[] {
  const xv = schema['x-kubernetes-validations'];
  if (!Array.isArray(xv)) return [];
  return xv.map((r) => {
    const o = isJsonObject(r) ? r : {};
    const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const rule: ValidationRule = { rule: s(o.rule) ?? '' };
    if (s(o.message) !== undefined) rule.message = s(o.message);
    if (s(o.messageExpression) !== undefined) rule.messageExpression = s(o.messageExpression);
    if (s(o.reason) !== undefined) rule.reason = s(o.reason);
    if (s(o.fieldPath) !== undefined) rule.fieldPath = s(o.fieldPath);
    if (typeof o.optionalOldSelf === 'boolean') rule.optionalOldSelf = o.optionalOldSelf;
    return rule;
  });
}

function compileRule(rule: ValidationRule): CompiledRule {
  const out: CompiledRule = { rule, usesOldSelf: false, problems: [] };
  if (rule.rule.trim() === '') {
    out.problems.push({ field: 'rule', kind: 'required', detail: 'rule is not specified' });
    return out;
  }
  const env = rule.optionalOldSelf === true ? optionalEnv : plainEnv;
  const c = compileCel(env, rule.rule);
  if (!c.ok) out.problems.push({ field: 'rule', kind: 'invalid', detail: c.detail });
  else if (c.compiled.type !== 'bool' && c.compiled.type !== 'dyn') {
    out.problems.push({ field: 'rule', kind: 'invalid', detail: 'cel expression must evaluate to a bool' });
  } else {
    out.program = c.compiled.program;
    out.usesOldSelf = c.compiled.identifiers.has('oldSelf');
    if (rule.optionalOldSelf === true && !out.usesOldSelf) {
      out.problems.push({ field: 'optionalOldSelf', kind: 'invalid', detail: 'may not be set if oldSelf is not used in rule' });
    }
  }
  if (rule.messageExpression !== undefined && rule.messageExpression !== '') {
    const m = compileCel(env, rule.messageExpression);
    if (!m.ok) out.problems.push({ field: 'messageExpression', kind: 'invalid', detail: `messageExpression ${m.detail}` });
    else if (m.compiled.type !== 'string' && m.compiled.type !== 'dyn') {
      out.problems.push({ field: 'messageExpression', kind: 'invalid', detail: 'messageExpression must evaluate to a string' });
    } else out.messageProgram = m.compiled.program;
  }
  return out;
}

const cache = new WeakMap<JSONSchemaProps, CompiledRule[]>();

/** The node's compiled rules; compiled on first use and kept as long as the schema node lives. */
export function compiledRules(schema: JSONSchemaProps): CompiledRule[] {
  let c = cache.get(schema);
  if (c === undefined) {
    c = validationRules(schema).map(compileRule);
    cache.set(schema, c);
  }
  return c;
}
