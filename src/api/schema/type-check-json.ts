/**
 * The 'json' dialect's step of the typed-decoding walk (type-check.ts): encoding/json decoding a
 * body into the Go struct, which notes the first type mismatch and decodes on, while a type's own
 * UnmarshalJSON (Quantity, Time, IntOrString) ends decoding at once.
 */
import { base64Error } from './go-base64.ts';
import { goType, intInRange, jsonKind } from './go-type-names.ts';
import { durationResult, elementFrames, fatal, isMap, notByte, objectChildren, OK, quantityResult, timeResult, unwrapList, type Frame, type StepResult } from './type-check-frame.ts';
import type { Schema } from './types.ts';

/** encoding/json's mismatch message for the field of frame `f`. */
function mismatch(f: Frame, value: string, type: string): string {
  return f.path === ''
    ? `json: cannot unmarshal ${value} into Go value of type ${type}`
    : `json: cannot unmarshal ${value} into Go struct field ${f.struct}.${f.path} of type ${type}`;
}

/** A mismatch encoding/json notes and decodes on past; the type defaults to the field's Go type. */
function saved(schema: Schema, f: Frame, value: string, type = goType(schema, f.ref, f.proto)): StepResult {
  return { children: [], saved: mismatch(f, value, type) };
}

// The steps are module-level functions, not closures made per call: type checking runs on every
// write body, once per field.
export function jsonStep(schema: Schema, f: Frame, top: boolean): StepResult {
  const v = f.value;
  const ref = unwrapList(schema, f.ref);
  switch (ref.kind) {
    case 'object': {
      const children = objectChildren(schema, ref === f.ref ? f : { ...f, ref }, top, 'document');
      return children ? { children } : saved(schema, f, jsonKind(v));
    }
    case 'list':
      if (!Array.isArray(v)) return saved(schema, f, jsonKind(v));
      return { children: elementFrames(f, ref.item, v) };
    case 'map':
      if (!isMap(v)) return saved(schema, f, jsonKind(v));
      return { children: elementFrames(f, ref.value, Object.values(v)) };
    case 'scalar':
      switch (ref.scalar) {
        case 'string':
          return typeof v === 'string' ? OK : saved(schema, f, jsonKind(v));
        case 'boolean':
          return typeof v === 'boolean' ? OK : saved(schema, f, jsonKind(v));
        case 'number':
          return typeof v === 'number' ? OK : saved(schema, f, jsonKind(v));
        case 'integer':
          if (typeof v !== 'number') return saved(schema, f, jsonKind(v));
          return intInRange(v, f.proto) ? OK : saved(schema, f, `number ${v}`);
        case 'bytes': {
          if (typeof v === 'string') {
            const err = base64Error(v);
            return err ? { children: [], saved: err } : OK;
          }
          // A JSON array of numbers also decodes into []byte.
          if (Array.isArray(v)) {
            const bad = v.find(notByte);
            return bad === undefined ? OK : saved(schema, f, typeof bad === 'number' ? `number ${bad}` : jsonKind(bad), 'uint8');
          }
          return saved(schema, f, jsonKind(v));
        }
      }
      return OK;
    case 'int-or-string':
      // IntOrString.UnmarshalJSON: a string, or json.Unmarshal into its int32.
      if (typeof v === 'string') return OK;
      if (typeof v === 'number') return intInRange(v, 'int32') ? OK : fatal(mismatch(f, `number ${v}`, 'int32'));
      return fatal(mismatch(f, jsonKind(v), 'int32'));
    case 'quantity':
      // Quantity.UnmarshalJSON parses the literal, quoted or not, and answers ParseQuantity's error.
      return quantityResult(v);
    case 'time':
      if (typeof v !== 'string') return fatal(mismatch(f, jsonKind(v), 'string'));
      return timeResult(v);
    case 'duration':
      if (typeof v !== 'string') return fatal(mismatch(f, jsonKind(v), 'string'));
      return durationResult(v);
    case 'any':
      return OK;
  }
}
