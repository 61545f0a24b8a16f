/**
 * Field selectors after k8s.io/apimachinery/pkg/fields/selector.go: comma-separated terms, each
 * `field=value`, `field==value` or `field!=value`; `\,` `\=` `\\` escape inside values.
 */
import { badRequest } from '../errors.ts';

export interface FieldRequirement {
  field: string;
  /** '==' is folded into '=' as upstream's hasTerm does. */
  operator: '=' | '!=';
  value: string;
}

export class FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  constructor(requirements: FieldRequirement[]) {
    this.requirements = requirements;
  }
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  /** A missing field reads as "", as upstream's fields.Set.Get. */
  matches(fields: Record<string, string>): boolean {
    return this.requirements.every((r) => {
      const v = fields[r.field] ?? '';
      return r.operator === '=' ? v === r.value : v !== r.value;
    });
  }
  /** The value a requirement pins `field` to with '=', if any (e.g. metadata.name for a get-by-list). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

export function escapeValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/** Splits on commas that are not backslash-escaped; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

// '!=' and '==' are tried before '=' so a leading '=' never ends up in the value.
const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    // Upstream formats the rune with %v, which prints its code point.
    else if (c === ',' || c === '=') throw badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** fields.ParseSelector. Throws ApiError 400 BadRequest with upstream's messages. */
export function parseFieldSelector(s: string): FieldSelector {
  const parts = splitTerms(s).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    const [field, op, rhs] = t;
    reqs.push({ field, operator: op === '!=' ? '!=' : '=', value: unescapeValue(rhs) });
  }
  return new FieldSelector(reqs);
}

/**
 * Rejects fields the resource cannot select on, as the per-resource field label conversion does:
 * `field label not supported: spec.foo`. `resource` names the list being filtered, for callers
 * that log it; upstream's message does not include it.
 */
export function validateFieldSelectorFields(sel: FieldSelector, allowed: readonly string[], resource?: string): void {
  void resource;
  const ok = new Set(allowed);
  for (const r of sel.requirements) {
    if (!ok.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
  }
}
