/**
 * InterPodAffinity (plugins/interpodaffinity): required pod affinity and anti-affinity of the
 * incoming pod, and required anti-affinity of the pods already placed, counted per topology pair
 * in PreFilter and checked per node in Filter; preferred terms (and existing pods' terms) score.
 */
import { MAX_NODE_SCORE, SKIP, unresolvable, unschedulable, type Handle, type FilterPlugin, type PreFilterPlugin, type ScorePlugin } from '../framework.ts';
import { labelSelector } from '../labels.ts';
import type { NodeInfo } from '../node-info.ts';
import type { Pod } from '../resources.ts';

export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

const STATE_KEY = 'PreFilterInterPodAffinity';
const SCORE_KEY = 'PreScoreInterPodAffinity';

interface Term { labelSelector?: object; namespaces?: string[]; namespaceSelector?: object; topologyKey: string }

/** AffinityTerm.Matches: the term's namespaces (or the owner's own) and its selector. */
export function termMatchesPod(term: Term, owner: Pod, target: Pod, handle?: Handle): boolean {
  const ns = target.metadata.namespace ?? '';
  const namespaces = term.namespaces ?? [];
  let nsOk: boolean;
  if (namespaces.length === 0 && !term.namespaceSelector) nsOk = ns === (owner.metadata.namespace ?? '');
  else {
    nsOk = namespaces.includes(ns);
    if (!nsOk && term.namespaceSelector) nsOk = labelSelector(term.namespaceSelector).matches(handle?.namespaceLabels(ns) ?? {});
  }
  return nsOk && labelSelector(term.labelSelector).matches(target.metadata.labels ?? {});
}

const required = (pod: Pod, kind: 'podAffinity' | 'podAntiAffinity'): Term[] =>
  pod.spec?.affinity?.[kind]?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
const preferred = (pod: Pod, kind: 'podAffinity' | 'podAntiAffinity'): Array<{ weight: number; podAffinityTerm: Term }> =>
  pod.spec?.affinity?.[kind]?.preferredDuringSchedulingIgnoredDuringExecution ?? [];

const pair = (key: string, value: string) => `${key}\u0000${value}`;

interface State { affinity: Term[]; anti: Term[]; existingAnti: Map<string, number>; affinityCounts: Map<string, number>; antiCounts: Map<string, number> }

/** The cache's list when `nodes` is the cycle's snapshot, else (preemption's dry runs, tests) filtered here. */
function nodesWith(handle: Handle, nodes: readonly NodeInfo[], kind: 'affinity' | 'anti'): readonly NodeInfo[] {
  const kept = nodes === handle.nodeInfos() ? (kind === 'affinity' ? handle.havePodsWithAffinity?.() : handle.havePodsWithRequiredAntiAffinity?.()) : undefined;
  return kept ?? nodes.filter((n) => (kind === 'affinity' ? n.podsWithAffinity() : n.podsWithRequiredAntiAffinity()).size > 0);
}

function inc(m: Map<string, number>, k: string, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

export function interPodAffinity(handle: Handle, args: { hardPodAffinityWeight?: number } = {}): PreFilterPlugin & FilterPlugin & ScorePlugin {
  const hardWeight = args.hardPodAffinityWeight ?? 1;
  return {
    name: 'InterPodAffinity',
    preFilter(state, pod, nodes) {
      const s: State = { affinity: required(pod, 'podAffinity'), anti: required(pod, 'podAntiAffinity'), existingAnti: new Map(), affinityCounts: new Map(), antiCounts: new Map() };
      const own = s.affinity.length > 0 || s.anti.length > 0;
      const antiNodes = nodesWith(handle, nodes, 'anti');
      // Upstream's PreFilter returns Skip when neither the pod nor any placed pod has such terms.
      if (!own && antiNodes.length === 0) return SKIP;
      for (const n of antiNodes) {
        const labels = n.node.metadata.labels ?? {};
        for (const existing of n.podsWithRequiredAntiAffinity()) {
          for (const t of required(existing, 'podAntiAffinity')) {
            if (Object.hasOwn(labels, t.topologyKey) && termMatchesPod(t, existing, pod, handle)) inc(s.existingAnti, pair(t.topologyKey, labels[t.topologyKey]!));
          }
        }
      }
      if (own) for (const n of nodes) {
        const labels = n.node.metadata.labels ?? {};
        for (const existing of n.pods) {
          for (const t of s.affinity) {
            if (Object.hasOwn(labels, t.topologyKey) && termMatchesPod(t, pod, existing, handle)) inc(s.affinityCounts, pair(t.topologyKey, labels[t.topologyKey]!));
          }
          for (const t of s.anti) {
            if (Object.hasOwn(labels, t.topologyKey) && termMatchesPod(t, pod, existing, handle)) inc(s.antiCounts, pair(t.topologyKey, labels[t.topologyKey]!));
          }
        }
      }
      state.set(STATE_KEY, s);
      return undefined;
    },
    filter(state, pod, node) {
      const s = state.get(STATE_KEY) as State | undefined;
      if (!s) return undefined;
      const labels = node.node.metadata.labels ?? {};
      if (!satisfyAffinity(s, pod, labels, handle)) return unresolvable(ERR_REASON_AFFINITY);
      for (const t of s.anti) {
        if (Object.hasOwn(labels, t.topologyKey) && (s.antiCounts.get(pair(t.topologyKey, labels[t.topologyKey]!)) ?? 0) > 0) return unschedulable(ERR_REASON_ANTI_AFFINITY);
      }
      for (const [k, v] of Object.entries(labels as Record<string, string>)) {
        if ((s.existingAnti.get(pair(k, v)) ?? 0) > 0) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
      }
      return undefined;
    },
    preScore(state, pod, nodes) {
      const hasPreferred = preferred(pod, 'podAffinity').length + preferred(pod, 'podAntiAffinity').length > 0;
      const all = handle.nodeInfos();
      const affinityNodes = nodesWith(handle, all, 'affinity');
      if (!hasPreferred && affinityNodes.length === 0) return SKIP;
      const scores = new Map<string, number>();
      // Without preferred terms of its own, only placed pods' terms count: nodes without such pods add nothing.
      for (const n of hasPreferred ? all : affinityNodes) {
        const labels: Record<string, string> = n.node.metadata.labels ?? {};
        const add = (t: Term, w: number, owner: Pod, target: Pod) => {
          if (w !== 0 && Object.hasOwn(labels, t.topologyKey) && termMatchesPod(t, owner, target, handle)) inc(scores, pair(t.topologyKey, labels[t.topologyKey]!), w);
        };
        for (const existing of hasPreferred ? n.pods : n.podsWithAffinity()) {
          for (const p of preferred(pod, 'podAffinity')) add(p.podAffinityTerm, p.weight, pod, existing);
          for (const p of preferred(pod, 'podAntiAffinity')) add(p.podAffinityTerm, -p.weight, pod, existing);
          for (const t of required(existing, 'podAffinity')) add(t, hardWeight, existing, pod);
          for (const p of preferred(existing, 'podAffinity')) add(p.podAffinityTerm, p.weight, existing, pod);
          for (const p of preferred(existing, 'podAntiAffinity')) add(p.podAffinityTerm, -p.weight, existing, pod);
        }
      }
      void nodes;
      state.set(SCORE_KEY, scores);
      return undefined;
    },
    score(state, _pod, node) {
      const scores = state.get(SCORE_KEY) as Map<string, number> | undefined;
      if (!scores) return 0;
      let sum = 0;
      for (const [k, v] of Object.entries(node.node.metadata.labels ?? {})) sum += scores.get(pair(k, v as string)) ?? 0;
      return sum;
    },
    normalizeScore(_state, _pod, scores) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        min = Math.min(min, s.score);
        max = Math.max(max, s.score);
      }
      const diff = max - min;
      for (const s of scores) s.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((s.score - min) / diff)) : 0;
    },
  };
}

/**
 * satisfyPodAffinity: every term's topology key is on the node and some matching pod is in that
 * domain; a pod whose terms match only itself (the first of a group) may go anywhere with the keys.
 */
function satisfyAffinity(s: State, pod: Pod, labels: Record<string, string>, handle: Handle): boolean {
  let podsExist = true;
  for (const t of s.affinity) {
    if (!Object.hasOwn(labels, t.topologyKey)) return false;
    if ((s.affinityCounts.get(pair(t.topologyKey, labels[t.topologyKey]!)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinityCounts.size === 0 && s.affinity.every((t) => termMatchesPod(t, pod, pod, handle));
}

export type { NodeInfo };
