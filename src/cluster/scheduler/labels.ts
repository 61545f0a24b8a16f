/**
 * Node selector and toleration matching (component-helpers nodeaffinity, v1helper taints): the
 * shared predicates of NodeAffinity, TaintToleration, PodTopologySpread and InterPodAffinity.
 */
import { selectorFromMetav1, type LabelSelector } from '../../api/selectors/label-selector.ts';
import type { Node, Pod } from './resources.ts';

export type Labels = Record<string, string>;

interface Requirement { key: string; operator: string; values?: string[] }
export interface NodeSelectorTerm { matchExpressions?: Requirement[]; matchFields?: Requirement[] }

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return has && values.includes(v!);
    case 'NotIn': return !has || !values.includes(v!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const a = Number.parseInt(v!, 10);
      const b = Number.parseInt(values[0]!, 10);
      if (!/^-?\d+$/.test(v!) || !/^-?\d+$/.test(values[0]!)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** One term: all expressions and fields match; an empty term matches nothing (upstream). */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels: Labels = node.metadata.labels ?? {};
  if (!exprs.every((r) => requirementMatches(r, labels))) return false;
  // Only metadata.name is a supported field (validation rejects others).
  const fieldSet: Labels = { 'metadata.name': node.metadata.name ?? '' };
  return fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, fieldSet));
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): nodeSelector AND any required term. */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const sel: Labels = pod.spec?.nodeSelector ?? {};
  const labels: Labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    const terms: NodeSelectorTerm[] = required.nodeSelectorTerms ?? [];
    if (!terms.some((t) => termMatches(t, node))) return false;
  }
  return true;
}

export interface Taint { key: string; value?: string; effect: string }
export interface Toleration { key?: string; operator?: string; value?: string; effect?: string }

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal': return (t.value ?? '') === (taint.value ?? '');
    case 'Exists': return true;
    default: return false;
  }
}

export function tolerationsTolerateTaint(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}

/** v1helper.FindMatchingUntoleratedTaint: the first taint passing `filter` that no toleration tolerates. */
export function findUntoleratedTaint(taints: Taint[], tolerations: Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  return taints.find((t) => filter(t) && !tolerationsTolerateTaint(tolerations, t));
}

const selectorCache = new WeakMap<object, LabelSelector>();
/** metav1.LabelSelectorAsSelector, cached per (frozen, shared) selector object. */
export function labelSelector(sel: object | undefined | null): LabelSelector {
  if (!sel) return selectorFromMetav1(sel as undefined);
  let s = selectorCache.get(sel);
  if (!s) {
    s = selectorFromMetav1(sel as never);
    selectorCache.set(sel, s);
  }
  return s;
}
