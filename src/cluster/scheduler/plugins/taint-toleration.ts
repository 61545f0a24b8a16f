/**
 * TaintToleration: NoSchedule and NoExecute taints the pod does not tolerate reject the node;
 * untolerated PreferNoSchedule taints lower the score (plugins/tainttoleration).
 */
import { defaultNormalizeScore, unresolvable, type FilterPlugin, type ScorePlugin } from '../framework.ts';
import { findUntoleratedTaint, tolerationsTolerateTaint, type Taint, type Toleration } from '../labels.ts';

export function taintToleration(): FilterPlugin & ScorePlugin {
  return {
    name: 'TaintToleration',
    filter(_state, pod, node) {
      const taints: Taint[] = node.node.spec?.taints ?? [];
      const t = findUntoleratedTaint(taints, pod.spec?.tolerations ?? [], (x) => x.effect === 'NoSchedule' || x.effect === 'NoExecute');
      if (!t) return undefined;
      return unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`);
    },
    score(_state, pod, node) {
      // Only tolerations with effect PreferNoSchedule or no effect count here.
      const tolerations = (pod.spec?.tolerations ?? []).filter((t: Toleration) => !t.effect || t.effect === 'PreferNoSchedule');
      let n = 0;
      for (const taint of (node.node.spec?.taints ?? []) as Taint[]) {
        if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) n++;
      }
      return n;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, true);
    },
  };
}
