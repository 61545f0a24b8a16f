/**
 * Typed decoding of built-in kinds: every field's JSON type is checked against the schema, as
 * decoding into Go structs does upstream, so a value no typed client could read back
 * (`metadata.labels: "invalid"`) is refused instead of stored. Two dialects, because upstream
 * reaches the typed object two ways and words the failure differently:
 *
 * - 'json': encoding/json (sigs.k8s.io/json) decoding a body (create, update, JSON and merge
 *   patches). The first type mismatch in document order is reported, e.g. `json: cannot unmarshal
 *   string into Go struct field ObjectMeta.metadata.labels of type map[string]string`, where the
 *   path is the chain of struct field names (no list indexes, no map keys); errors raised by a
 *   type's own UnmarshalJSON (Quantity, Time, IntOrString) end decoding at once.
 * - 'unstructured': runtime.DefaultUnstructuredConverter.FromUnstructured (strategic merge
 *   patches), which walks struct fields in declaration order and stops at the first failure
 *   (`cannot restore map from string`, `unrecognized type: int32`).
 *
 * The walk is iterative with an explicit stack (nesting depth is bounded by the decoders, but no
 * recursion is needed at all). Go's named types (v1.RestartPolicy, v1.ResourceList) are not in
 * the schema; the error names their underlying type (string, map[string]resource.Quantity).
 */
import { jsonStep } from './type-check-json.ts';
import type { Frame } from './type-check-frame.ts';
import { unstructuredStep } from './type-check-unstructured.ts';
import type { Schema } from './types.ts';

export type DecodeDialect = 'json' | 'unstructured';

/**
 * The decoding error upstream would report for `obj` as the kind `typeName`, or undefined when
 * every field has a JSON type its Go field accepts. Unknown fields are not checked (they are
 * fieldValidation's business), and null is accepted everywhere, as Go leaves the zero value.
 */
export function findTypeError(schema: Schema, typeName: string, obj: unknown, dialect: DecodeDialect): string | undefined {
  const top = schema.type(typeName);
  if (!top) return undefined;
  const typed = dialect === 'json' ? jsonStep : unstructuredStep;
  const stack: Frame[] = [{ ref: { kind: 'object', type: typeName }, proto: undefined, value: obj, path: '', struct: '' }];
  let saved: string | undefined;
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.value === null || f.value === undefined) continue;
    const r = typed(schema, f, f.path === '' && f.struct === '');
    if (r.fatal) return r.fatal;
    if (r.saved) {
      saved ??= r.saved;
      continue;
    }
    // Push in reverse so the stack pops children in document (or declaration) order.
    for (let i = r.children.length - 1; i >= 0; i--) stack.push(r.children[i]!);
  }
  return saved;
}
