/**
 * NodeAffinity: nodeSelector and required node affinity filter; preferred terms score by the sum
 * of the weights that match, normalized to 0..100 (plugins/nodeaffinity).
 */
import { defaultNormalizeScore, SKIP, unresolvable, type FilterPlugin, type PreFilterPlugin, type ScorePlugin } from '../framework.ts';
import { podMatchesNodeSelectorAndAffinity, termMatches, type NodeSelectorTerm } from '../labels.ts';
import type { Pod } from '../resources.ts';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

function preferredTerms(pod: Pod): Array<{ weight: number; preference: NodeSelectorTerm }> {
  return pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
}

export function nodeAffinity(): PreFilterPlugin & FilterPlugin & ScorePlugin {
  return {
    name: 'NodeAffinity',
    preFilter(_state, pod) {
      // As upstream's PreFilter: neither a nodeSelector nor required node affinity, every node passes.
      const noRequired = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution == null;
      return noRequired && pod.spec?.nodeSelector == null ? SKIP : undefined;
    },
    filter(_state, pod, node) {
      return podMatchesNodeSelectorAndAffinity(pod, node.node) ? undefined : unresolvable(ERR_REASON_POD);
    },
    preScore(_state, pod) {
      // As upstream's PreScore: no preferred terms, nothing to score (every node would get 0).
      return preferredTerms(pod).length === 0 ? SKIP : undefined;
    },
    score(_state, pod, node) {
      const prefs = preferredTerms(pod);
      let sum = 0;
      for (const p of prefs) if (p.weight && termMatches(p.preference ?? {}, node.node)) sum += p.weight;
      return sum;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, false);
    },
  };
}
