/**
 * The CEL environment of MutatingAdmissionPolicy mutations: the admission policy environment
 * (src/admission/cel/policy-env.ts) plus upstream's patch types: `Object` with its field-path
 * subtypes (`Object.spec.template`), built as CEL messages for ApplyConfiguration, `JSONPatch`
 * ({op, path, from, value}) for JSONPatch, and the `jsonpatch.escapeKey` function. Message
 * construction is rewritten to `__new(name, fields)` calls (object-syntax.ts), whose values carry
 * their type name so that the result can be checked as upstream checks it.
 */
import { compilePolicyExpression, newPolicyEnvironment, type PolicyExpression } from '../policy-env.ts';
import { NEW_OBJECT_FUNCTION, rewriteObjectConstruction } from './object-syntax.ts';

/** The type name of a constructed value (a non-enumerable property: JSON and CEL do not see it). */
export const TYPE_NAME = Symbol('celTypeName');

export type Constructed = Record<string, unknown> & { [TYPE_NAME]: string };

export const isConstructed = (v: unknown): v is Constructed => typeof v === 'object' && v !== null && TYPE_NAME in v;

const JSON_PATCH_FIELDS = new Set(['op', 'path', 'from', 'value']);

function construct(name: string, fields: Record<string, unknown>): Constructed {
  if (name === 'JSONPatch') {
    for (const k of Object.keys(fields)) if (!JSON_PATCH_FIELDS.has(k)) throw new Error(`no such field '${k}' in type 'JSONPatch'`);
  }
  const o = { ...fields } as Constructed;
  Object.defineProperty(o, TYPE_NAME, { value: name, enumerable: false });
  return o;
}

/** Upstream's jsonpatch.escapeKey: `~` and `/` escaped as in a JSON pointer (RFC 6901). */
export const escapeKey = (k: string): string => k.replaceAll('~', '~0').replaceAll('/', '~1');

class JsonPatchLibrary {}

export const mutationEnv = newPolicyEnvironment()
  .registerFunction(`${NEW_OBJECT_FUNCTION}(string, map): dyn`, construct, { async: false })
  .registerType('kubernetes.JSONPatchLibrary', JsonPatchLibrary)
  .registerConstant('jsonpatch', 'kubernetes.JSONPatchLibrary', new JsonPatchLibrary())
  .registerFunction('kubernetes.JSONPatchLibrary.escapeKey(string): string', (_lib: unknown, k: string) => escapeKey(k), { async: false });

export type PatchType = 'ApplyConfiguration' | 'JSONPatch';

const isObjectType = (t: string): boolean => t === 'Object' || t.startsWith('Object.');

/**
 * Compiles a mutation's expression. The result type must be `Object` (ApplyConfiguration) or a
 * list (JSONPatch); upstream's "must evaluate to X but got Y" otherwise.
 */
export function compileMutationExpression(expression: string, patchType: PatchType): PolicyExpression {
  const { text, types } = rewriteObjectConstruction(expression);
  const unknown = types.find((t) => !isObjectType(t) && t !== 'JSONPatch');
  if (unknown !== undefined) return { expression, variableRefs: new Set(), error: `compilation failed: ERROR: <input>: undeclared reference to '${unknown}'`, staticCost: 0, sync: true };
  const c = compilePolicyExpression(expression, undefined, { env: mutationEnv, text });
  if (!c.program) return c;
  const type = c.type ?? 'dyn';
  if (patchType === 'ApplyConfiguration') {
    // A construction types as dyn here; only an `Object` construction passes the runtime check.
    if (type !== 'dyn') return { ...c, program: undefined, error: `must evaluate to Object but got ${type}` };
    const top = /^__new\("([^"]+)"/.exec(text.trimStart())?.[1];
    if (top !== undefined && top !== 'Object') return { ...c, program: undefined, error: `must evaluate to Object but got ${top}` };
  } else if (type !== 'dyn' && !type.startsWith('list')) {
    return { ...c, program: undefined, error: `must evaluate to list(JSONPatch) but got ${type}` };
  }
  return c;
}
