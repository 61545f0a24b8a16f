/**
 * The 'unstructured' dialect's step of the typed-decoding walk (type-check.ts):
 * runtime.DefaultUnstructuredConverter.FromUnstructured (strategic merge patches), which walks
 * struct fields in declaration order and stops at the first failure with reflect's wording.
 */
import { base64Error } from './go-base64.ts';
import { intInRange, jsonKind, scalarGoType, unstructuredKind } from './go-type-names.ts';
import { durationResult, elementFrames, fatal, isMap, objectChildren, OK, quantityResult, timeResult, unwrapList, type Frame, type StepResult } from './type-check-frame.ts';
import type { Schema } from './types.ts';

// Module-level, not a closure made per call: type checking runs on every write body, once per field.
export function unstructuredStep(schema: Schema, f: Frame, top: boolean): StepResult {
  const v = f.value;
  const ref = unwrapList(schema, f.ref);
  switch (ref.kind) {
    case 'object': {
      const children = objectChildren(schema, ref === f.ref ? f : { ...f, ref }, top, 'declaration');
      return children ? { children } : fatal(`cannot restore struct from: ${unstructuredKind(v)}`);
    }
    case 'list':
      if (!Array.isArray(v)) return fatal(`cannot restore slice from ${unstructuredKind(v)}`);
      return { children: elementFrames(f, ref.item, v) };
    case 'map':
      if (!isMap(v)) return fatal(`cannot restore map from ${unstructuredKind(v)}`);
      return { children: elementFrames(f, ref.value, Object.values(v)) };
    case 'scalar': {
      const dt = scalarGoType(ref, f.proto);
      const k = unstructuredKind(v);
      switch (ref.scalar) {
        case 'string':
          if (k === 'string') return OK;
          // Go converts integers to strings by reflection but refuses the conversion.
          return fatal(k === 'int64' ? `cannot convert int64 to ${dt}` : `unrecognized type: ${dt}`);
        case 'boolean':
          return k === 'bool' ? OK : fatal(`unrecognized type: ${dt}`);
        case 'number':
          return k === 'int64' || k === 'float64' ? OK : fatal(`unrecognized type: ${dt}`);
        case 'integer':
          if (k === 'int64') return OK;
          if (k === 'float64') return fatal(`cannot convert float64 to ${dt}`);
          return fatal(`unrecognized type: ${dt}`);
        case 'bytes': {
          if (typeof v === 'string') {
            const err = base64Error(v);
            return err ? fatal(`error decoding from json: ${err}`) : OK;
          }
          return Array.isArray(v) ? OK : fatal(`cannot restore slice from ${k}`);
        }
      }
      return OK;
    }
    // Types with their own UnmarshalJSON are converted through JSON, without a field context.
    case 'int-or-string':
      if (typeof v === 'string') return OK;
      if (typeof v === 'number') return intInRange(v, 'int32') ? OK : fatal(`json: cannot unmarshal number ${v} into Go value of type int32`);
      return fatal(`json: cannot unmarshal ${jsonKind(v)} into Go value of type int32`);
    case 'quantity':
      return quantityResult(v);
    case 'time':
      if (typeof v !== 'string') return fatal(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
      return timeResult(v);
    case 'duration':
      if (typeof v !== 'string') return fatal(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
      return durationResult(v);
    case 'any':
      return OK;
  }
}
