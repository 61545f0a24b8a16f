/**
 * CEL's message construction (`Object{spec: Object.spec{replicas: 3}}`, `JSONPatch{op: 'add'}`)
 * for mutating admission policies. cel-js does not parse this syntax, so the expression text is
 * rewritten before parsing into calls of one function: `__new("Object", {"spec": __new(...)})`.
 * The rewrite works on tokens (strings, comments and numbers are passed through untouched): a
 * qualified name directly followed by `{` can only be a message construction in CEL's grammar,
 * and inside it each `field:` at the top level becomes the string key `"field":`.
 */

export const NEW_OBJECT_FUNCTION = '__new';

type Tok = { kind: 'ident' | 'string' | 'space' | 'punct' | 'other'; text: string };

const IDENT = /[_a-zA-Z][_a-zA-Z0-9]*/y;
const NUMBER = /(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)[uU]?/y;
const SPACE = /(?:\s|\/\/[^\n]*)+/y;

/** The end of the string literal starting at `i` (after any r/b prefix), or the text's end. */
function stringEnd(s: string, i: number, raw: boolean): number {
  const q = s[i]!;
  const triple = s.startsWith(q.repeat(3), i);
  const close = triple ? q.repeat(3) : q;
  let j = i + close.length;
  while (j < s.length) {
    if (!raw && s[j] === '\\') {
      j += 2;
      continue;
    }
    if (s.startsWith(close, j)) return j + close.length;
    if (!triple && s[j] === '\n') return j;
    j++;
  }
  return s.length;
}

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const at = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(s);
    return m && m[0].length > 0 ? m[0] : undefined;
  };
  while (i < s.length) {
    const prefix = /^(?:[rR][bB]?|[bB][rR]?)(?=['"])/.exec(s.slice(i, i + 3))?.[0] ?? '';
    const c = s[i + prefix.length]!;
    if (c === '"' || c === "'") {
      const end = stringEnd(s, i + prefix.length, /[rR]/.test(prefix));
      out.push({ kind: 'string', text: s.slice(i, end) });
      i = end;
      continue;
    }
    const m = at(SPACE) ?? at(NUMBER);
    if (m !== undefined) {
      out.push({ kind: /^\s|^\//.test(m) ? 'space' : 'other', text: m });
      i += m.length;
      continue;
    }
    const id = at(IDENT);
    if (id !== undefined) {
      out.push({ kind: 'ident', text: id });
      i += id.length;
      continue;
    }
    out.push({ kind: /[{}()[\],:.]/.test(s[i]!) ? 'punct' : 'other', text: s[i]! });
    i++;
  }
  return out;
}

/** The index of the next token that is not white space or a comment, from `i`. */
function next(toks: Tok[], i: number): number {
  while (i < toks.length && toks[i]!.kind === 'space') i++;
  return i;
}

function prev(toks: Tok[], i: number): Tok | undefined {
  for (let j = i - 1; j >= 0; j--) if (toks[j]!.kind !== 'space') return toks[j];
  return undefined;
}

export interface Rewritten {
  text: string;
  /** The type names constructed, in order of appearance. */
  types: string[];
}

/** Returns the expression with every message construction as a `__new` call; other text unchanged. */
export function rewriteObjectConstruction(expression: string): Rewritten {
  const toks = tokenize(expression);
  const types: string[] = [];
  if (!toks.some((t) => t.text === '{')) return { text: expression, types };
  let out = '';
  // Open brackets: a message construction is 'msg', a map literal or other bracket its character.
  const open: string[] = [];
  let i = 0;
  while (i < toks.length) {
    const t = toks[i]!;
    const before = prev(toks, i);
    if (t.kind === 'ident' && before?.text !== '.') {
      // A qualified name: IDENT (. IDENT)*, then `{`?
      const parts = [t.text];
      let j = i + 1;
      for (;;) {
        const dot = next(toks, j);
        if (toks[dot]?.text !== '.') break;
        const id = next(toks, dot + 1);
        if (toks[id]?.kind !== 'ident') break;
        parts.push(toks[id]!.text);
        j = id + 1;
      }
      const brace = next(toks, j);
      if (toks[brace]?.text === '{') {
        types.push(parts.join('.'));
        out += `${NEW_OBJECT_FUNCTION}(${JSON.stringify(parts.join('.'))}, {`;
        open.push('msg');
        i = brace + 1;
        continue;
      }
    }
    // A field name of the innermost message: right after its `{` or one of its commas.
    if (t.kind === 'ident' && open.at(-1) === 'msg' && (before?.text === ',' || before?.text === '{') && toks[next(toks, i + 1)]?.text === ':') {
      out += JSON.stringify(t.text);
      i++;
      continue;
    }
    if (t.text === '{' || t.text === '(' || t.text === '[') open.push(t.text);
    else if (t.text === '}' || t.text === ')' || t.text === ']') {
      if (open.pop() === 'msg') {
        out += '})';
        i++;
        continue;
      }
    }
    out += t.text;
    i++;
  }
  return { text: out, types };
}
