/**
 * The deprecated scheduler.alpha.kubernetes.io/tolerations pod annotation as upstream 1.33 checks it
 * (ValidateTolerationsInPodAnnotations): helper.GetTolerationsFromPodAnnotations decodes it with
 * encoding/json into []core.Toleration, and a decoding error is reported with Go's own text; the
 * tolerations it holds get ValidateTolerations. goJsonSyntaxError is encoding/json's checkValid
 * (scanner.go), with its messages; the decoding step is Unmarshal's for this one type.
 */
import type { Toleration } from 'kubernetes-types/core/v1.js';
import { invalid, type FieldError, type Path } from '../field-errors.ts';
import { validateTolerations } from './pod-spec.ts';

export const TOLERATIONS_ANNOTATION = 'scheduler.alpha.kubernetes.io/tolerations';

/** encoding/json's maxNestingDepth. */
const MAX_DEPTH = 10000;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const SHORT_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };

/** encoding/json's quoteChar: strconv.Quote of the byte taken as a rune, between single quotes. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  if (c === 0x5c) return "'\\\\'";
  if (c >= 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  if (SHORT_ESCAPES[c]) return `'${SHORT_ESCAPES[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // U+0080..U+00FF: strconv.IsPrint is false for the C1 controls, NBSP and the soft hyphen.
  if (c < 0xa1 || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

type Step = (c: number) => string | undefined;

/** encoding/json's checkValid: the first syntax error's message, or undefined for valid JSON. */
export function goJsonSyntaxError(text: string): string | undefined {
  const data = Buffer.from(text, 'utf8');
  // The parse state stack: 'k' an object key is next, 'v' an object value, 'a' an array element.
  const stack: string[] = [];
  let endTop = false;
  let step: Step;
  const fail = (c: number, context: string): string => `invalid character ${quoteChar(c)} ${context}`;
  const push = (c: number, state: string, next: Step): string | undefined => {
    stack.push(state);
    if (stack.length > MAX_DEPTH) return fail(c, 'exceeded max depth');
    step = next;
    return undefined;
  };
  const literal = (rest: string, name: string): Step => {
    const at = (i: number): Step => (c) => {
      if (c !== rest.charCodeAt(i)) return fail(c, `in literal ${name} (expecting '${rest[i]}')`);
      step = i + 1 < rest.length ? at(i + 1) : endValue;
      return undefined;
    };
    return at(0);
  };
  const endTopStep: Step = (c) => (isSpace(c) ? undefined : fail(c, 'after top-level value'));
  const endValue: Step = (c) => {
    const n = stack.length;
    if (n === 0) {
      step = endTopStep;
      endTop = true;
      return endTopStep(c);
    }
    if (isSpace(c)) {
      step = endValue;
      return undefined;
    }
    const top = stack[n - 1];
    if (top === 'k') {
      if (c !== 0x3a) return fail(c, 'after object key');
      stack[n - 1] = 'v';
      step = beginValue;
      return undefined;
    }
    // After an object's value or an array's element: ',' for the next one, or the closing bracket.
    const inObject = top === 'v';
    if (c === 0x2c) {
      if (inObject) stack[n - 1] = 'k';
      step = inObject ? beginString : beginValue;
      return undefined;
    }
    if (c !== (inObject ? 0x7d : 0x5d)) return fail(c, inObject ? 'after object key:value pair' : 'after array element');
    stack.pop();
    step = endValue;
    return undefined;
  };
  const inString: Step = (c) => {
    if (c === 0x22) step = endValue;
    else if (c === 0x5c) step = inStringEsc;
    else if (c < 0x20) return fail(c, 'in string literal');
    return undefined;
  };
  const escU = (left: number): Step => (c) => {
    if (!isHex(c)) return fail(c, 'in \\u hexadecimal character escape');
    step = left > 1 ? escU(left - 1) : inString;
    return undefined;
  };
  const inStringEsc: Step = (c) => {
    if ([0x62, 0x66, 0x6e, 0x72, 0x74, 0x5c, 0x2f, 0x22].includes(c)) step = inString;
    else if (c === 0x75) step = escU(4);
    else return fail(c, 'in string escape code');
    return undefined;
  };
  const exp0: Step = (c) => (isDigit(c) ? undefined : endValue(c));
  const expSign: Step = (c) => {
    if (!isDigit(c)) return fail(c, 'in exponent of numeric literal');
    step = exp0;
    return undefined;
  };
  const exp: Step = (c) => {
    if (c === 0x2b || c === 0x2d) {
      step = expSign;
      return undefined;
    }
    return expSign(c);
  };
  const dot0: Step = (c) => {
    if (isDigit(c)) return undefined;
    if (c === 0x65 || c === 0x45) {
      step = exp;
      return undefined;
    }
    return endValue(c);
  };
  const dot: Step = (c) => {
    if (!isDigit(c)) return fail(c, 'after decimal point in numeric literal');
    step = dot0;
    return undefined;
  };
  const zero: Step = (c) => {
    if (c === 0x2e) step = dot;
    else if (c === 0x65 || c === 0x45) step = exp;
    else return endValue(c);
    return undefined;
  };
  const digits: Step = (c) => (isDigit(c) ? undefined : zero(c));
  const neg: Step = (c) => {
    if (c === 0x30) step = zero;
    else if (c >= 0x31 && c <= 0x39) step = digits;
    else return fail(c, 'in numeric literal');
    return undefined;
  };
  const beginValue: Step = (c) => {
    if (isSpace(c)) return undefined;
    switch (c) {
      case 0x7b:
        return push(c, 'k', beginStringOrEmpty);
      case 0x5b:
        return push(c, 'a', beginValueOrEmpty);
      case 0x22:
        step = inString;
        return undefined;
      case 0x2d:
        step = neg;
        return undefined;
      case 0x30:
        step = zero;
        return undefined;
      case 0x74:
        step = literal('rue', 'true');
        return undefined;
      case 0x66:
        step = literal('alse', 'false');
        return undefined;
      case 0x6e:
        step = literal('ull', 'null');
        return undefined;
    }
    if (c >= 0x31 && c <= 0x39) {
      step = digits;
      return undefined;
    }
    return fail(c, 'looking for beginning of value');
  };
  const beginValueOrEmpty: Step = (c) => {
    if (isSpace(c)) return undefined;
    if (c === 0x5d) return endValue(c);
    return beginValue(c);
  };
  const beginString: Step = (c) => {
    if (isSpace(c)) return undefined;
    if (c === 0x22) {
      step = inString;
      return undefined;
    }
    return fail(c, 'looking for beginning of object key string');
  };
  const beginStringOrEmpty: Step = (c) => {
    if (isSpace(c)) return undefined;
    if (c === 0x7d) {
      stack[stack.length - 1] = 'v';
      return endValue(c);
    }
    return beginString(c);
  };
  step = beginValue;
  for (const c of data) {
    const err = step(c);
    if (err) return err;
  }
  // scanner.eof: one more (space) step ends a number or a literal, or finds it cut short.
  if (endTop) return undefined;
  const err = step(0x20);
  if (err) return err;
  return endTop ? undefined : 'unexpected end of JSON input';
}

/** The JSON kind encoding/json names in an UnmarshalTypeError. */
function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : 'object';
}

/** core.Toleration's fields: the Go name (found exactly or case-folded) and Go type. */
const FIELDS: ReadonlyArray<[go: string, json: keyof Toleration, type: string]> = [
  ['Key', 'key', 'string'], ['Operator', 'operator', 'core.TolerationOperator'], ['Value', 'value', 'string'],
  ['Effect', 'effect', 'core.TaintEffect'], ['TolerationSeconds', 'tolerationSeconds', 'int64'],
];

/** A JSON number as its text: a tolerationSeconds that is not an int64 is reported with it. */
class GoNumber {
  readonly num: string;
  constructor(num: string) {
    this.num = num;
  }
}

/**
 * json.Unmarshal of valid JSON into []core.Toleration: the tolerations and the first type error
 * (decoding goes on past one, as encoding/json's saveError).
 */
function decodeTolerations(text: string): { tolerations: Toleration[]; error?: string } {
  const doc: unknown = JSON.parse(text, (_k, v, ctx?: { source?: string }) => (typeof v === 'number' ? new GoNumber(ctx?.source ?? String(v)) : v));
  let error: string | undefined;
  const save = (e: string): void => void (error ??= e);
  const isNum = (v: unknown): v is GoNumber => v instanceof GoNumber;
  const kind = (v: unknown): string => (isNum(v) ? 'number' : kindOf(v));
  if (doc === null) return { tolerations: [] };
  if (!Array.isArray(doc)) return { tolerations: [], error: `json: cannot unmarshal ${kind(doc)} into Go value of type []core.Toleration` };
  const tolerations = doc.map((el): Toleration => {
    const t: Record<string, unknown> = {};
    if (el === null) return t;
    if (isNum(el) || typeof el !== 'object' || Array.isArray(el)) {
      save(`json: cannot unmarshal ${kind(el)} into Go value of type core.Toleration`);
      return t;
    }
    for (const [k, v] of Object.entries(el as Record<string, unknown>)) {
      const f = FIELDS.find(([go]) => go === k) ?? FIELDS.find(([go]) => go.toLowerCase() === k.toLowerCase());
      if (!f || v === null) continue;
      const [go, json, type] = f;
      const mismatch = (value: string) => save(`json: cannot unmarshal ${value} into Go struct field Toleration.${go} of type ${type}`);
      if (type === 'int64') {
        if (!isNum(v)) mismatch(kind(v));
        else if (!/^-?[0-9]+$/.test(v.num) || BigInt(v.num) > 2n ** 63n - 1n || BigInt(v.num) < -(2n ** 63n)) mismatch(`number ${v.num}`);
        else t[json] = Number(v.num);
      } else if (typeof v === 'string') t[json] = v;
      else mismatch(kind(v));
    }
    return t;
  });
  return { tolerations, error };
}

/** ValidateTolerationsInPodAnnotations, for a non-empty annotation; `p` is the annotations path. */
export function validateTolerationsAnnotation(value: string, p: Path): FieldError[] {
  const syntax = goJsonSyntaxError(value);
  if (syntax) return [invalid(p, TOLERATIONS_ANNOTATION, syntax)];
  const { tolerations, error } = decodeTolerations(value);
  if (error) return [invalid(p, TOLERATIONS_ANNOTATION, error)];
  return validateTolerations(tolerations, p.child(TOLERATIONS_ANNOTATION));
}
