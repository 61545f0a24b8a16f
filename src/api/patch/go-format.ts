/**
 * Go's fmt rendering of decoded JSON values (map[string]interface{}, []interface{}, ...), so that
 * strategic merge patch errors read exactly like kube-apiserver's, e.g.
 * `map: map[image:nginx] does not contain declared merge key: name`.
 */
import { isObject } from './json-value.ts';

/** fmt's %v. Map keys print sorted, as Go does. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  }
  if (typeof v === 'number') return goNumber(v);
  return String(v);
}

/** fmt's %s: strings print as themselves, anything else as %!s(type=value). */
export function goString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '%!s(<nil>)';
  return `%!s(${goTypeName(v)}=${goValue(v)})`;
}

/** reflect.TypeOf(v).String() for a value decoded the way the apiserver decodes patches (ints preserved). */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

function goNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  // %v of a float64 is the shortest representation, exponent form beyond 1e21 or below 1e-4.
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [mant, exp] = n.toExponential().split('e');
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(n);
}

/** The JSON kind Go's json.UnmarshalTypeError names ("object", "array", "string", "number", "bool"). */
export function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}
