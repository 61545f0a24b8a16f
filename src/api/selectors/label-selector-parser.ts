/**
 * The label selector language's lexer and parser (labels.Parse's Lexer and Parser in
 * k8s.io/apimachinery/pkg/labels/selector.go): the same tokens, grammar and error messages. Apart
 * from label-selector.ts, which holds the parsed selector and its matching (the hot path); parsing
 * runs once per request or object.
 */
import { goQuote } from '../validation/field-errors.ts';
import { isQualifiedName } from '../validation/names.ts';
import { newRequirement, SelectorError, type Operator, type Requirement } from './label-requirement.ts';

// ---- lexer -------------------------------------------------------------------------------------

type Tok = 'error' | 'eos' | 'closedPar' | 'comma' | 'doesNotExist' | 'doubleEquals' | 'equals' | 'gt' | 'id' | 'in' | 'lt' | 'notEquals' | 'notIn' | 'openPar';

interface Item {
  tok: Tok;
  lit: string;
}

const SYMBOLS: Record<string, Tok> = {
  ')': 'closedPar',
  ',': 'comma',
  '!': 'doesNotExist',
  '==': 'doubleEquals',
  '=': 'equals',
  '>': 'gt',
  '<': 'lt',
  '!=': 'notEquals',
  '(': 'openPar',
};
const KEYWORDS: Record<string, Tok> = { in: 'in', notin: 'notIn' };
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i] ?? '')) i++;
    if (i >= s.length) {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    const c = s[i] ?? '';
    if (isSpecial(c)) {
      // Longest run of special characters that still forms a known symbol.
      let buf = '';
      let last: Item | undefined;
      while (i < s.length && isSpecial(s[i] ?? '')) {
        buf += s[i];
        const t = SYMBOLS[buf];
        if (t) {
          last = { tok: t, lit: buf };
          i++;
        } else if (last) {
          break;
        } else {
          i++;
        }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
      if (!last) {
        items.push({ tok: 'eos', lit: '' });
        return items;
      }
    } else {
      let buf = '';
      while (i < s.length && !isSpace(s[i] ?? '') && !isSpecial(s[i] ?? '')) buf += s[i++];
      items.push({ tok: KEYWORDS[buf] ?? 'id', lit: buf });
    }
  }
}

// ---- parser ------------------------------------------------------------------------------------

class Parser {
  readonly #items: Item[];
  #pos = 0;
  constructor(s: string) {
    this.#items = lex(s);
  }
  /** In "values" context, the keywords in/notin are plain identifiers. */
  lookahead(values: boolean): Item {
    const it = this.#items[this.#pos] ?? { tok: 'eos', lit: '' };
    return values && (it.tok === 'in' || it.tok === 'notIn') ? { tok: 'id', lit: it.lit } : it;
  }
  consume(values: boolean): Item {
    const it = this.lookahead(values);
    if (this.#pos < this.#items.length - 1) this.#pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      switch (tok) {
        case 'id':
        case 'doesNotExist': {
          let r: Requirement;
          try {
            r = this.requirement();
          } catch (e) {
            throw new SelectorError(`unable to parse requirement: ${(e as Error).message}`);
          }
          reqs.push(r);
          const t = this.consume(true);
          if (t.tok === 'eos') return reqs;
          if (t.tok === 'comma') {
            const t2 = this.lookahead(true);
            if (t2.tok !== 'id' && t2.tok !== 'doesNotExist') {
              throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
            }
          } else {
            throw new SelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
          }
          break;
        }
        case 'eos':
          return reqs;
        default:
          throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  requirement(): Requirement {
    let operator: Operator | undefined;
    let t = this.consume(true);
    if (t.tok === 'doesNotExist') {
      operator = '!';
      t = this.consume(true);
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const km = isQualifiedName(key);
    // Upstream validates the key against a nil field path, which prints as "<nil>".
    if (km.length) throw new Error(`<nil>: Invalid value: ${goQuote(key)}: ${km.join("; ")}`);
    const next = this.lookahead(true).tok;
    if (next === 'eos' || next === 'comma') {
      return newRequirement(key, operator ?? 'exists', []);
    }
    if (operator === '!') return newRequirement(key, '!', []);
    const opTok = this.consume(false);
    const op = OPERATOR_OF[opTok.tok];
    if (!op) throw new Error(`found '${opTok.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    const values = op === 'in' || op === 'notin' ? this.values() : this.exactValue();
    return newRequirement(key, op, [...new Set(values)].sort());
  }

  values(): string[] {
    const open = this.consume(true);
    if (open.tok !== 'openPar') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    if (tok === 'id' || tok === 'comma') {
      const s = this.identifiersList();
      if (this.consume(true).tok !== 'closedPar') throw new Error(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === 'closedPar') {
      this.consume(true);
      return [''];
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  identifiersList(): string[] {
    const s: string[] = [];
    for (;;) {
      const { tok, lit } = this.consume(true);
      if (tok === 'id') {
        s.push(lit);
        const t2 = this.lookahead(true);
        if (t2.tok === 'comma') continue;
        if (t2.tok === 'closedPar') return s;
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (tok === 'comma') {
        if (s.length === 0) s.push('');
        const t2 = this.lookahead(true);
        if (t2.tok === 'closedPar') {
          s.push('');
          return s;
        }
        if (t2.tok === 'comma') {
          this.consume(true);
          s.push('');
        }
      } else {
        throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  exactValue(): string[] {
    const t = this.lookahead(true);
    if (t.tok === 'eos' || t.tok === 'comma') return [''];
    const c = this.consume(true);
    if (c.tok === 'id') return [c.lit];
    throw new Error(`found '${c.lit}', expected: identifier`);
  }
}

const OPERATOR_OF: Partial<Record<Tok, Operator>> = {
  in: 'in',
  equals: '=',
  doubleEquals: '==',
  gt: 'gt',
  lt: 'lt',
  notIn: 'notin',
  notEquals: '!=',
};

/** The requirements of a selector string; throws SelectorError with upstream's message. */
export function parseRequirements(s: string): Requirement[] {
  return new Parser(s).parse();
}
