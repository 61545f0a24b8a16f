/**
 * Evaluation of x-kubernetes-validations on a custom resource, as apiextensions' schema/cel
 * Validator: every present (non-null) value whose schema node has rules is checked with `self`
 * bound to it; transition rules (using oldSelf) run only on update where the old value can be
 * correlated (same property, same map key, same list-map keys), or always with optionalOldSelf.
 * Errors read as upstream's: `spec: Invalid value: "object": <message>` (or `failed rule: <rule>`),
 * typed by the rule's reason; evaluation errors say "<error> evaluating rule: <rule>".
 */
import { Optional } from '@marcbachmann/cel-js';
import type { FieldError } from '../validation/field-errors.ts';
import { GoValue, duplicate, forbidden, invalid, path, required, type Path } from '../validation/field-errors.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { additionalSchema, isJsonObject, itemSchema, propertySchema } from './json-schema-props.ts';
import { compiledRules, type CompiledRule, type ValidationRule } from './cel-rules.ts';
import { CEL_READ_BUDGET, CelBudgetExceeded, metered, toCelValue, type CelBudget } from './cel-value.ts';

/** Where an error lands: undefined is upstream's nil root path, printed "<nil>". */
type Where = Path | undefined;

const fieldOf = (p: Where): string => (p === undefined || p.toString() === '' ? '<nil>' : p.toString());
const child = (p: Where, k: string): Path => (p === undefined ? path(k) : p.child(k));

const trimmed = (s: string | undefined): string => (s ?? '').trim();
/** upstream ruleErrorString */
const ruleText = (r: ValidationRule): string => (trimmed(r.message) !== '' ? trimmed(r.message) : trimmed(r.rule));
/** upstream ruleMessageOrDefault */
const ruleMessage = (r: ValidationRule): string => (trimmed(r.message) !== '' ? trimmed(r.message) : `failed rule: ${trimmed(r.rule)}`);

/** A rule's fieldPath (`.a.b`, `['k']`) as a field path suffix: `a.b`, `[k]`. */
function normalizedFieldPath(fp: string): string {
  let out = '';
  for (const m of fp.matchAll(/\.([^.[]+)|\[(?:'((?:[^'\\]|\\.)*)'|(\d+))\]/g)) {
    if (m[1] !== undefined) out += out === '' ? m[1] : `.${m[1]}`;
    else out += `[${m[2] ?? m[3]}]`;
  }
  return out;
}

function errorForReason(p: Where, type: string, detail: string, reason: string | undefined): FieldError {
  const f = fieldOf(p);
  if (reason === 'FieldValueForbidden') return forbidden(f, detail);
  if (reason === 'FieldValueRequired') return required(f, detail);
  if (reason === 'FieldValueDuplicate') return duplicate(f, type);
  return invalid(f, type, detail);
}

interface Walk {
  budget: CelBudget;
  errors: FieldError[];
  /** Set once the budget is spent: upstream runs no further rules. */
  stopped: boolean;
}

const firstLower = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

function failureMessage(c: CompiledRule, vars: Record<string, unknown>): string {
  if (c.messageProgram === undefined) return ruleMessage(c.rule);
  try {
    const m = c.messageProgram(vars);
    // Upstream falls back to the static message when messageExpression is empty or multi-line.
    if (typeof m === 'string' && m.trim() !== '' && !/[\r\n]/.test(m)) return m;
  } catch (err) {
    if (err instanceof CelBudgetExceeded) throw err;
  }
  return ruleMessage(c.rule);
}

function runRules(s: JSONSchemaProps, self: unknown, old: { value: unknown } | undefined, p: Where, w: Walk): void {
  const type = s.type ?? '';
  for (const c of compiledRules(s)) {
    if (w.stopped) return;
    if (c.problems.length > 0 || c.program === undefined) {
      // Refused at CRD create/update; a CRD stored before that check fails closed.
      w.errors.push(invalid(fieldOf(p), type, c.problems[0]?.detail ?? 'rule cannot be compiled'));
      continue;
    }
    const optional = c.rule.optionalOldSelf === true;
    if (c.usesOldSelf && old === undefined && !optional) continue;
    const oldSelf = old === undefined ? undefined : metered(old.value, w.budget);
    const vars: Record<string, unknown> = {
      self: metered(self, w.budget),
      oldSelf: optional ? (oldSelf === undefined ? Optional.none() : Optional.of(oldSelf)) : (oldSelf ?? null),
    };
    let result: unknown;
    try {
      result = c.program(vars);
      if (result === true) continue;
      const at = c.rule.fieldPath ? child(p, normalizedFieldPath(c.rule.fieldPath)) : p;
      w.errors.push(errorForReason(at, type, failureMessage(c, vars), c.rule.reason));
    } catch (err) {
      if (err instanceof CelBudgetExceeded) {
        w.errors.push(invalid(fieldOf(p), type, `'${err.message}': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleText(c.rule)}`));
        w.stopped = true;
        return;
      }
      const msg = firstLower((err as Error).message.split('\n')[0]!.trim());
      if (msg.startsWith('no such overload')) {
        w.errors.push(invalid(fieldOf(p), type, `'${msg}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleText(c.rule)}`));
      } else {
        w.errors.push(invalid(fieldOf(p), type, `${msg} evaluating rule: ${ruleText(c.rule)}`));
      }
    }
  }
}

/** The old list item a new one is correlated with: only list-type=map lists correlate, by their keys. */
function oldListItem(s: JSONSchemaProps, item: unknown, oldList: unknown): { value: unknown } | undefined {
  const keys = s['x-kubernetes-list-map-keys'];
  if (s['x-kubernetes-list-type'] !== 'map' || !Array.isArray(keys) || !Array.isArray(oldList) || !isJsonObject(item)) return undefined;
  const found = oldList.find((o) => isJsonObject(o) && keys.every((k) => o[k] === item[k]));
  return found === undefined ? undefined : { value: found };
}

function walk(s: JSONSchemaProps, v: unknown, old: { value: unknown } | undefined, p: Where, w: Walk): void {
  if (v === null || v === undefined || w.stopped) return;
  if (hasRules(s)) runRules(s, v, old, p, w);
  const oldObj = old !== undefined && isJsonObject(old.value) ? old.value : undefined;
  const oldOf = (k: string) => (oldObj !== undefined && Object.hasOwn(oldObj, k) && oldObj[k] !== null ? { value: oldObj[k] } : undefined);
  if (isJsonObject(v)) {
    const extra = additionalSchema(s);
    for (const [k, x] of Object.entries(v)) {
      const ps = propertySchema(s, k);
      if (ps !== undefined) walk(ps, x, oldOf(k), child(p, k), w);
      else if (extra !== undefined) walk(extra, x, oldOf(k), (p ?? path('')).key(k), w);
    }
  } else if (Array.isArray(v)) {
    const items = itemSchema(s);
    if (items === undefined) return;
    v.forEach((x, i) => walk(items, x, oldListItem(s, x, old?.value), (p ?? path('')).index(i), w));
  }
}

/** Whether the node or anything below it carries rules; cached, so a schema without rules costs one lookup. */
const anyRules = new WeakMap<JSONSchemaProps, boolean>();
function hasRules(s: JSONSchemaProps): boolean {
  return Array.isArray(s['x-kubernetes-validations']) && s['x-kubernetes-validations'].length > 0;
}
export function schemaHasRules(s: JSONSchemaProps, depth = 0): boolean {
  const known = anyRules.get(s);
  if (known !== undefined) return known;
  let found = hasRules(s);
  if (!found && depth < 100) {
    const subs = [...Object.values(s.properties ?? {}), additionalSchema(s), itemSchema(s)];
    found = subs.some((x) => x !== undefined && schemaHasRules(x, depth + 1));
  }
  anyRules.set(s, found);
  return found;
}

/** At the root, CEL sees only metadata.name and metadata.generateName, as upstream. */
function rootValue(s: JSONSchemaProps, obj: Record<string, unknown>): unknown {
  const v = toCelValue(s, obj) as Record<string, unknown>;
  if (isJsonObject(obj.metadata)) {
    const m = obj.metadata;
    v.metadata = { ...(typeof m.name === 'string' ? { name: m.name } : {}), ...(typeof m.generateName === 'string' ? { generateName: m.generateName } : {}) };
  }
  return v;
}

/** Runs every rule of the schema on a custom resource (old is the stored object on update). */
export function validateCelRules(schema: JSONSchemaProps, obj: Record<string, unknown>, old?: Record<string, unknown>): FieldError[] {
  if (!schemaHasRules(schema)) return [];
  const w: Walk = { budget: { remaining: CEL_READ_BUDGET }, errors: [], stopped: false };
  walk(schema, rootValue(schema, obj), old === undefined ? undefined : { value: rootValue(schema, old) }, undefined, w);
  return w.errors;
}

/** Upstream runs no rules on an object with type errors: the rules would only see garbage. */
export function celBlockedError(): FieldError {
  return invalid('<nil>', new GoValue('"null"'), 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation');
}
