/**
 * Label selectors after k8s.io/apimachinery/pkg/labels/selector.go: the same lexer, grammar, error
 * messages and matching rules, so `-l` behaves exactly as against kube-apiserver.
 */
import type { LabelSelector as MetaLabelSelector } from 'kubernetes-types/meta/v1.js';
import { badRequest } from '../errors.ts';
import { aggregateMessage, goQuote, invalid, notSupported, path, type FieldError, type Path } from '../validation/field-errors.ts';
import { isQualifiedName, isValidLabelValue } from '../validation/names.ts';

export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted and de-duplicated, as upstream's sets.String.List(). */
  values: string[];
}

const EMPTY: Record<string, string> = Object.freeze({});

export class LabelSelector {
  readonly requirements: readonly Requirement[];
  /** A nil metav1 selector selects nothing; an empty one selects everything. */
  readonly #nothing: boolean;
  constructor(requirements: Requirement[], nothing = false) {
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.#nothing = nothing;
  }
  static everything(): LabelSelector {
    return new LabelSelector([]);
  }
  static nothing(): LabelSelector {
    return new LabelSelector([], true);
  }
  get empty(): boolean {
    return !this.#nothing && this.requirements.length === 0;
  }
  matches(labels: Record<string, string> | undefined | null): boolean {
    if (this.#nothing) return false;
    const ls = labels ?? EMPTY;
    // A loop, not every(): no closure per call (admission matches every binding of every request).
    for (const r of this.requirements) if (!requirementMatches(r, ls)) return false;
    return true;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

function requirementMatches(r: Requirement, ls: Record<string, string>): boolean {
  const has = Object.hasOwn(ls, r.key);
  const v = ls[r.key] ?? '';
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(v);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(v);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const lv = parseInt64(v);
      const rv = parseInt64(r.values[0] ?? '');
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${r.values.join(',')})`;
    case 'notin':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values.join('')}`;
    case 'lt':
      return `${r.key}<${r.values.join('')}`;
    default:
      return `${r.key}${r.operator}${r.values.join('')}`;
  }
}

const VALID_OPERATORS = ['!', '=', '==', 'in', '!=', 'notin', 'exists', 'gt', 'lt'];

/** labels.NewRequirement: validates and builds; throws the aggregate message as upstream returns it. */
export function newRequirement(key: string, operator: Operator, values: string[], p?: Path): Requirement {
  const errs: FieldError[] = [];
  const keyPath = p ? p.child('key') : path('key');
  const valuesPath = p ? p.child('values') : path('values');
  const km = isQualifiedName(key);
  if (km.length) errs.push(invalid(keyPath, key, km.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalid(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid(valuesPath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalid(valuesPath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalid(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(invalid(valuesPath.index(i), v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
    default:
      errs.push(notSupported(p ? p.child('operator') : path('operator'), operator, VALID_OPERATORS));
  }
  values.forEach((v, i) => {
    const vm = isValidLabelValue(v);
    if (vm.length) errs.push(invalid(valuesPath.index(i).key(key), v, vm.join('; ')));
  });
  if (errs.length) throw new SelectorError(aggregateMessage(errs));
  return { key, operator, values };
}

class SelectorError extends Error {}

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

/** labels.Parse. Throws ApiError 400 BadRequest carrying upstream's message. */
export function parseLabelSelector(s: string): LabelSelector {
  try {
    return new LabelSelector(new Parser(s).parse());
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
}

/** metav1.LabelSelectorAsSelector: nil selects nothing, empty selects everything. */
export function selectorFromMetav1(sel: MetaLabelSelector | undefined | null): LabelSelector {
  if (!sel) return LabelSelector.nothing();
  const matchLabels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return LabelSelector.everything();
  const reqs: Requirement[] = [];
  try {
    for (const [k, v] of Object.entries(matchLabels)) reqs.push(newRequirement(k, '=', [v]));
    for (const e of exprs) {
      const op = METAV1_OPS[e.operator];
      if (!op) throw new SelectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
      reqs.push(newRequirement(e.key, op, [...new Set(e.values ?? [])].sort()));
    }
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
  return new LabelSelector(reqs);
}

const METAV1_OPS: Record<string, Operator | undefined> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };
