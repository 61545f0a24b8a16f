/**
 * The functions Portcullis adds to casbin's (keyMatch…, regexMatch, globMatch, ipMatch stay
 * available). Each takes values straight from the request and the policy line, so each checks
 * its argument types rather than trust them: a policy line is operator input.
 */
import { parseLabelSelector, type LabelSelector } from '../../api/selectors/label-selector.ts';

export type CasbinFunction = (...args: unknown[]) => boolean;

/**
 * The functions, with the label selector cache bounded by `maxSelectors` (selectors come from
 * policy lines, so the policy bounds them; the cap guards against a huge policy anyway).
 */
export function portcullisFunctions(maxSelectors = 10_000): Record<string, CasbinFunction> {
  const selectors = new Map<string, LabelSelector>();
  const selector = (s: string): LabelSelector => {
    let sel = selectors.get(s);
    if (!sel) {
      sel = parseLabelSelector(s);
      if (selectors.size >= maxSelectors) selectors.clear();
      selectors.set(s, sel);
    }
    return sel;
  };
  return {
    /** labelMatch(r.nsLabels, p.selector): a label selector in kubectl's syntax ("team=a,env!=prod"). */
    labelMatch: (labels, sel) => typeof sel === 'string' && isLabels(labels) && selector(sel).matches(labels),
    /** timeWithin(r.time, p.from, p.to): from ≤ time < to, "HH:MM" UTC (to may be 24:00); from > to wraps past midnight. */
    timeWithin: (time, from, to) => {
      if (![time, from, to].every((t) => typeof t === 'string' && HHMM.test(t))) return false;
      const [t, f, e] = [time as string, from as string, to as string];
      return f <= e ? f <= t && t < e : t >= f || t < e;
    },
    /** includes(r.groups, p.group): the list holds the value. */
    includes: (list, value) => Array.isArray(list) && list.includes(value),
  };
}

const HHMM = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/**
 * Checks of a policy value by the function and argument position it is given to, run on every
 * line when the policy loads: a selector or pattern that does not parse is an error naming the
 * line, instead of a 500 for every request that reaches it.
 */
export const VALUE_CHECKS: Record<string, (value: string, arg: number) => void> = {
  labelMatch: (v, arg) => {
    if (arg === 1) parseLabelSelector(v);
  },
  regexMatch: (v, arg) => {
    if (arg === 1) new RegExp(v);
  },
  timeWithin: (v, arg) => {
    if (arg > 0 && !HHMM.test(v)) throw new Error(`"${v}" is not a time HH:MM (00:00 to 24:00)`);
  },
};

function isLabels(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
