/**
 * Label and field selectors evaluated on the client side (the fake client; a caller filtering an
 * informer's cache). Equality-based only: k=v, k==v, k!=v, k, !k, and set-based `k in (a,b)` /
 * `k notin (a,b)` for labels. Fields are dotted paths (metadata.name, spec.nodeName, status.phase).
 */
import type { K8sObject } from './types.ts';

type Requirement = { key: string; op: 'in' | 'notin' | 'exists' | '!exists'; values: string[] };

function splitTerms(selector: string): string[] {
  // Commas inside "(a,b)" belong to the set, not to the list of terms.
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parse(selector: string): Requirement[] {
  return splitTerms(selector).map((t): Requirement => {
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(t);
    if (set) return { key: set[1], op: set[2] as 'in' | 'notin', values: set[3].split(',').map((v) => v.trim()) };
    const ne = t.indexOf('!=');
    if (ne > 0) return { key: t.slice(0, ne).trim(), op: 'notin', values: [t.slice(ne + 2).trim()] };
    const eq = t.indexOf('=');
    if (eq > 0) return { key: t.slice(0, eq).trim(), op: 'in', values: [t.slice(t[eq + 1] === '=' ? eq + 2 : eq + 1).trim()] };
    if (t.startsWith('!')) return { key: t.slice(1).trim(), op: '!exists', values: [] };
    return { key: t, op: 'exists', values: [] };
  });
}

function holds(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'in': return value !== undefined && req.values.includes(value);
    case 'notin': return value === undefined || !req.values.includes(value);
    case 'exists': return value !== undefined;
    case '!exists': return value === undefined;
  }
}

export function matchesLabels(selector: string | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return parse(selector).every((r) => holds(r, labels?.[r.key]));
}

function fieldValue(obj: K8sObject, path: string): string | undefined {
  let v: unknown = obj;
  for (const part of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  // An unset field compares as "" upstream (spec.nodeName= selects unscheduled pods).
  return v === undefined || v === null ? '' : String(v);
}

export function matchesFields(selector: string | undefined, obj: K8sObject): boolean {
  if (!selector) return true;
  return parse(selector).every((r) => holds(r, fieldValue(obj, r.key)));
}
