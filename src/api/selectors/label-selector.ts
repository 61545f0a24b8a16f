/**
 * Label selectors after k8s.io/apimachinery/pkg/labels/selector.go: the same lexer, grammar, error
 * messages and matching rules, so `-l` behaves exactly as against kube-apiserver. This file is the
 * parsed selector and its matching; the requirement and its validation are label-requirement.ts,
 * the lexer and parser label-selector-parser.ts.
 */
import type { LabelSelector as MetaLabelSelector } from 'kubernetes-types/meta/v1.js';
import { badRequest } from '../errors.ts';
import { newRequirement, parseInt64, SelectorError, type Operator, type Requirement } from './label-requirement.ts';
import { parseRequirements } from './label-selector-parser.ts';

export { newRequirement, type Operator, type Requirement } from './label-requirement.ts';

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

/** labels.Parse. Throws ApiError 400 BadRequest carrying upstream's message. */
export function parseLabelSelector(s: string): LabelSelector {
  try {
    return new LabelSelector(parseRequirements(s));
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
