/**
 * structured-merge-diff's TypedValue validation (typed/validate.go), which upstream runs when it
 * turns an applied configuration into a typed value (`failed to create typed patch object (...):
 * .spec.containers: expected list, got &{oops}`). Every value must have the JSON type its schema
 * names: structs and maps an object, lists an array, strings a string, numbers a number, booleans a
 * boolean; IntOrString, Quantity and Time are "untyped" scalars (any scalar); items of associative
 * lists must carry their keys, and (for applied configurations) no key twice. Unlike encoding/json
 * it reports every mismatch, not the first, and goes on past one into the siblings.
 *
 * Unknown fields are not reported here: fieldValidation prunes or refuses them before apply.
 */
import { goFormat } from '../schema/go-format.ts';
import type { ListInfo, Schema, TypeRef } from '../schema/types.ts';
import { peToString, serializePE, type PathElement } from './path-element.ts';
import { isPlainObject, listItemPE, TypedValueError } from './shape.ts';

export interface TypedValidateOptions {
  /** Stored objects may repeat a list key (typed.AllowDuplicates); applied configurations may not. */
  allowDuplicates?: boolean;
}

/** Enough to say what is wrong; a body of a million bad values does not get a million lines back. */
export const MAX_TYPED_ERRORS = 1000;

type ValueFrame = { ref: TypeRef; value: unknown; path: string };
type Frame = ValueFrame | { error: string };

/** The ValidationErrors text upstream reports for `root` as the kind `typeName`, or undefined. */
export function validateTyped(schema: Schema, typeName: string, root: unknown, opts: TypedValidateOptions = {}): string | undefined {
  if (!schema.type(typeName)) return undefined;
  const errors: string[] = [];
  const stack: Frame[] = [{ ref: { kind: 'object', type: typeName }, value: root, path: '' }];
  while (stack.length > 0 && errors.length < MAX_TYPED_ERRORS) {
    const f = stack.pop()!;
    if ('error' in f) {
      errors.push(f.error);
      continue;
    }
    const next = step(schema, f, opts.allowDuplicates === true);
    // Pushed in reverse so that errors come out in document order.
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
  }
  if (errors.length === 0) return undefined;
  // ValidationErrors.Error(): one error as is, several under "errors:".
  return errors.length === 1 ? errors[0] : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
}

/** %v of the value.Value smd wraps an unstructured value in (a *valueUnstructured): &{oops}. */
function goValue(v: unknown): string {
  return `&{${goFormat(v, { numbers: 'float64' })}}`;
}

/** %#v of the same: &value.valueUnstructured{Value:1}. */
function goSyntax(v: unknown): string {
  return `&value.valueUnstructured{Value:${goFormat(v, { syntax: true, numbers: 'float64' })}}`;
}

/** %T of the unstructured value. */
function goTypeOf(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'float64';
  return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
}

/** A go-to-protobuf list wrapper (ExtraValue, Verbs) is a plain list in JSON. */
function unwrapList(schema: Schema, ref: TypeRef): TypeRef {
  if (ref.kind !== 'object') return ref;
  const t = schema.type(ref.type);
  const items = t?.listWrapper ? t.fields.items : undefined;
  return items ? items.type : ref;
}

function step(schema: Schema, f: ValueFrame, allowDuplicates: boolean): Frame[] {
  const v = f.value;
  // null is a valid value of every type (Go leaves the zero value).
  if (v === null || v === undefined) return [];
  const error = (message: string): Frame[] => [{ error: f.path === '' ? message : `${f.path}: ${message}` }];
  const ref = unwrapList(schema, f.ref);
  switch (ref.kind) {
    case 'object': {
      const t = schema.type(ref.type);
      if (!t) return [];
      if (!isPlainObject(v)) return error(`expected map, got ${goValue(v)}`);
      const out: Frame[] = [];
      for (const [k, x] of Object.entries(v)) {
        const field = Object.hasOwn(t.fields, k) ? t.fields[k] : undefined;
        if (field) out.push({ ref: field.type, value: x, path: `${f.path}.${k}` });
      }
      return out;
    }
    case 'map':
      if (!isPlainObject(v)) return error(`expected map, got ${goValue(v)}`);
      return Object.entries(v).map(([k, x]) => ({ ref: ref.value, value: x, path: `${f.path}.${k}` }));
    case 'list':
      if (!Array.isArray(v)) return error(`expected list, got ${goValue(v)}`);
      if (ref.list.listType === 'atomic') return v.map((x, i) => ({ ref: ref.item, value: x, path: `${f.path}[${i}]` }));
      return listItems(ref.list, ref.item, v, f.path, error, allowDuplicates);
    case 'scalar':
      switch (ref.scalar) {
        case 'string':
        case 'bytes':
          return typeof v === 'string' ? [] : error(`expected string, got ${goSyntax(v)}`);
        case 'integer':
        case 'number':
          return typeof v === 'number' ? [] : error(`expected numeric (int or float), got ${goTypeOf(v)}`);
        case 'boolean':
          return typeof v === 'boolean' ? [] : error(`expected boolean, got ${goValue(v)}`);
      }
      return [];
    // metav1.Duration is a plain string in the OpenAPI schema.
    case 'duration':
      return typeof v === 'string' ? [] : error(`expected string, got ${goSyntax(v)}`);
    // Formats other than "" and "byte" (int-or-string, date-time) and Quantity are untyped scalars.
    case 'int-or-string':
    case 'quantity':
    case 'time':
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? [] : error(`expected any scalar, got ${goValue(v)}`);
    case 'any':
      return [];
  }
}

/** visitListItems of an associative list: an item without its identity ends the walk of the list. */
function listItems(
  list: ListInfo,
  item: TypeRef,
  items: unknown[],
  path: string,
  error: (m: string) => Frame[],
  allowDuplicates: boolean,
): Frame[] {
  const keyed = list.listType === 'map' && (list.mapKeys?.length ?? 0) > 0;
  const seen = new Set<string>();
  const out: Frame[] = [];
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    let pe: PathElement;
    try {
      if (x === null || x === undefined) {
        throw new TypedValueError(
          keyed ? 'associative list with keys may not have a null element' : "associative list without keys has an element that's an explicit null",
        );
      }
      pe = listItemPE(list, x);
    } catch (e) {
      if (!(e instanceof TypedValueError)) throw e;
      out.push(...error(`element ${i}: ${e.message}`));
      break;
    }
    const id = serializePE(pe);
    if (seen.has(id) && !allowDuplicates) out.push(...error(`duplicate entries for key ${peToString(pe)}`));
    seen.add(id);
    out.push({ ref: item, value: x, path: `${path}${peToString(pe)}` });
  }
  return out;
}
