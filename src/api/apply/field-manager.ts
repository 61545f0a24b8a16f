/**
 * The fieldManager request parameter, checked as upstream's ValidatePatchOptions /
 * ValidateFieldManager: required for apply, at most 128 bytes, printable characters only.
 */
import { invalid, type ApiError, type StatusCause } from '../errors.ts';

export const FIELD_MANAGER_MAX_LENGTH = 128;

export interface FieldManagerCheck {
  /** Apply patches must name their manager; other writes may leave it empty. Default true. */
  apply?: boolean;
  /** Which options kind the error names. Default PatchOptions. */
  optionsKind?: 'PatchOptions' | 'CreateOptions' | 'UpdateOptions';
}

/** Go's %q, close enough for the control characters this check rejects. */
function goQuote(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (named[ch]) out += named[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (!isPrint(ch)) out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

/** Throws the 422 to answer when the name is not acceptable. */
export function validateFieldManager(name?: string, check: FieldManagerCheck = {}): void {
  const err = fieldManagerError(name, check);
  if (err) throw err;
}

/** The 422 to answer, or undefined when the name is acceptable. */
export function fieldManagerError(name?: string, check: FieldManagerCheck = {}): ApiError | undefined {
  const apply = check.apply ?? true;
  const kind = check.optionsKind ?? 'PatchOptions';
  const value = name ?? '';
  const causes: StatusCause[] = [];
  if (apply && value === '') {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' });
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > FIELD_MANAGER_MAX_LENGTH) {
    causes.push({
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes`,
      field: 'fieldManager',
    });
  }
  let offset = 0;
  for (const ch of value) {
    if (!isPrint(ch)) {
      const cp = (ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${goQuote(value)}: invalid character U+${cp} (at position ${offset})`,
        field: 'fieldManager',
      });
    }
    offset += Buffer.byteLength(ch, 'utf8');
  }
  if (causes.length === 0) return undefined;
  return invalid(kind, 'meta.k8s.io', '', causes);
}
