/**
 * TaintToleration: NoSchedule and NoExecute taints the pod does not tolerate reject the node;
 * untolerated PreferNoSchedule taints lower the score (plugins/tainttoleration).
 */
import { defaultNormalizeScore, unresolvable, type FilterPlugin, type ScorePlugin } from '../framework.ts';
import { findUntoleratedTaint, tolerationsTolerateTaint, type Taint, type Toleration } from '../labels.ts';
import type { Pod } from '../resources.ts';

const STATE_KEY = 'PreScoreTaintToleration';

function preferNoScheduleTolerations(pod: Pod): Toleration[] {
  return (pod.spec?.tolerations ?? []).filter((t: Toleration) => !t.effect || t.effect === 'PreferNoSchedule');
}

export function taintToleration(): FilterPlugin & ScorePlugin {
  return {
    name: 'TaintToleration',
    filter(_state, pod, node) {
      const taints: Taint[] = node.node.spec?.taints ?? [];
      const t = findUntoleratedTaint(taints, pod.spec?.tolerations ?? [], (x) => x.effect === 'NoSchedule' || x.effect === 'NoExecute');
      if (!t) return undefined;
      return unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`);
    },
    preScore(state, pod) {
      // Only tolerations with effect PreferNoSchedule or no effect count here (upstream's PreScore keeps them for the cycle).
      state.set(STATE_KEY, preferNoScheduleTolerations(pod));
      return undefined;
    },
    score(state, pod, node) {
      const taints = node.node.spec?.taints as Taint[] | undefined;
      if (!taints?.length) return 0;
      const tolerations = (state.get(STATE_KEY) as Toleration[] | undefined) ?? preferNoScheduleTolerations(pod);
      let n = 0;
      for (const taint of taints) {
        if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) n++;
      }
      return n;
    },
    normalizeScore(_state, _pod, scores) {
      defaultNormalizeScore(scores, true);
    },
  };
}
