/**
 * NodeAffinity: nodeSelector and required node affinity filter; preferred terms score by the sum
 * of the weights that match, normalized to 0..100 (plugins/nodeaffinity).
 */
import { defaultNormalizeScore, unresolvable, type FilterPlugin, type ScorePlugin } from '../framework.ts';
import { podMatchesNodeSelectorAndAffinity, termMatches, type NodeSelectorTerm } from '../labels.ts';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

export function nodeAffinity(): FilterPlugin & ScorePlugin {
  return {
    name: 'NodeAffinity',
    filter(_state, pod, node) {
      return podMatchesNodeSelectorAndAffinity(pod, node.node) ? undefined : unresolvable(ERR_REASON_POD);
    },
    score(_state, pod, node) {
      const prefs: Array<{ weight: number; preference: NodeSelectorTerm }> =
        pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      let sum = 0;
      for (const p of prefs) if (p.weight && termMatches(p.preference ?? {}, node.node)) sum += p.weight;
      return sum;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, false);
    },
  };
}
