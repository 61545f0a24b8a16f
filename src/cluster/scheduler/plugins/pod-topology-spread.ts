/**
 * PodTopologySpread (plugins/podtopologyspread): DoNotSchedule constraints filter by skew
 * ('matching pods in the node's domain' + 'the pod itself if it matches' - 'global minimum' must
 * stay within maxSkew; fewer domains than minDomains make the minimum 0), ScheduleAnyway
 * constraints score. Only nodes that match the pod's node affinity/selector (nodeAffinityPolicy
 * Honor) and, with nodeTaintsPolicy Honor, whose taints it tolerates, count as domains.
 */
import { MAX_NODE_SCORE, SKIP, unresolvable, unschedulable, type Handle, type FilterPlugin, type PreFilterPlugin, type ScorePlugin } from '../framework.ts';
import { findUntoleratedTaint, labelSelector, podMatchesNodeSelectorAndAffinity, type Taint } from '../labels.ts';
import type { NodeInfo } from '../node-info.ts';
import type { Pod } from '../resources.ts';
import { LabelSelector, newRequirement } from '../../../api/selectors/label-selector.ts';

export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;
const STATE_KEY = 'PreFilterPodTopologySpread';
const SCORE_KEY = 'PreScorePodTopologySpread';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  selector: LabelSelector;
  nodeAffinityPolicy: string;
  nodeTaintsPolicy: string;
}

function constraints(pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const out: Constraint[] = [];
  for (const c of pod.spec?.topologySpreadConstraints ?? []) {
    if (c.whenUnsatisfiable !== when) continue;
    let selector = labelSelector(c.labelSelector);
    const keys: string[] = c.matchLabelKeys ?? [];
    if (keys.length > 0) {
      // matchLabelKeys: the pod's own values for these keys narrow the selector.
      const labels = pod.metadata.labels ?? {};
      const extra = keys.filter((k) => Object.hasOwn(labels, k)).map((k) => newRequirement(k, 'in', [labels[k]!]));
      selector = new LabelSelector([...selector.requirements, ...extra], !selector.empty && selector.requirements.length === 0);
    }
    out.push({
      maxSkew: c.maxSkew ?? 1,
      topologyKey: c.topologyKey,
      minDomains: c.minDomains ?? 1,
      selector,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
    });
  }
  return out;
}

function eligible(pod: Pod, node: NodeInfo, cs: Constraint[]): boolean {
  const labels = node.node.metadata.labels ?? {};
  if (!cs.every((c) => Object.hasOwn(labels, c.topologyKey))) return false;
  // The policies are per constraint upstream; the first constraint's policy decides for the node here.
  const c = cs[0]!;
  if (c.nodeAffinityPolicy === 'Honor' && !podMatchesNodeSelectorAndAffinity(pod, node.node)) return false;
  if (c.nodeTaintsPolicy === 'Honor') {
    const taints: Taint[] = node.node.spec?.taints ?? [];
    if (findUntoleratedTaint(taints, pod.spec?.tolerations ?? [], (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return false;
  }
  return true;
}

function countMatching(node: NodeInfo, c: Constraint, ns: string): number {
  let n = 0;
  for (const p of node.pods) {
    if (p.metadata.deletionTimestamp || (p.metadata.namespace ?? '') !== ns) continue;
    if (c.selector.matches(p.metadata.labels ?? {})) n++;
  }
  return n;
}

interface FilterState { cs: Constraint[]; counts: Array<Map<string, number>> }

export function podTopologySpread(handle: Handle): PreFilterPlugin & FilterPlugin & ScorePlugin {
  return {
    name: 'PodTopologySpread',
    preFilter(state, pod, nodes) {
      const cs = constraints(pod, 'DoNotSchedule');
      if (cs.length === 0) return SKIP;
      const counts = cs.map(() => new Map<string, number>());
      const ns = pod.metadata.namespace ?? '';
      for (const n of nodes) {
        if (!eligible(pod, n, cs)) continue;
        const labels = n.node.metadata.labels ?? {};
        cs.forEach((c, i) => {
          const v = labels[c.topologyKey]!;
          counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(n, c, ns));
        });
      }
      state.set(STATE_KEY, { cs, counts } satisfies FilterState);
      return undefined;
    },
    filter(state, pod, node) {
      const s = state.get(STATE_KEY) as FilterState | undefined;
      if (!s) return undefined;
      const labels = node.node.metadata.labels ?? {};
      for (let i = 0; i < s.cs.length; i++) {
        const c = s.cs[i]!;
        if (!Object.hasOwn(labels, c.topologyKey)) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        const domains = s.counts[i]!;
        let min = domains.size < c.minDomains ? 0 : Infinity;
        if (min !== 0) for (const v of domains.values()) min = Math.min(min, v);
        if (min === Infinity) min = 0;
        const self = c.selector.matches(pod.metadata.labels ?? {}) ? 1 : 0;
        const skew = (domains.get(labels[c.topologyKey]!) ?? 0) + self - min;
        if (skew > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
      }
      return undefined;
    },
    preScore(state, pod, nodes) {
      const cs = constraints(pod, 'ScheduleAnyway');
      if (cs.length === 0) return SKIP;
      const ignored = new Set<string>();
      const values = cs.map(() => new Set<string>());
      for (const n of nodes) {
        const labels = n.node.metadata.labels ?? {};
        if (!cs.every((c) => Object.hasOwn(labels, c.topologyKey))) {
          ignored.add(n.name);
          continue;
        }
        cs.forEach((c, i) => values[i]!.add(c.topologyKey === 'kubernetes.io/hostname' ? n.name : labels[c.topologyKey]!));
      }
      const counts = cs.map(() => new Map<string, number>());
      const ns = pod.metadata.namespace ?? '';
      for (const n of handle.nodeInfos()) {
        if (!eligible(pod, n, cs)) continue;
        const labels = n.node.metadata.labels ?? {};
        cs.forEach((c, i) => {
          const v = labels[c.topologyKey]!;
          if (c.topologyKey === 'kubernetes.io/hostname' || !values[i]!.has(v)) return;
          counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + countMatching(n, c, ns));
        });
      }
      // topologyNormalizingWeight: log(domains + 2), so constraints over few domains weigh less.
      const weights = values.map((v) => Math.log(v.size + 2));
      state.set(SCORE_KEY, { cs, counts, weights, ignored });
      return undefined;
    },
    score(state, pod, node) {
      const s = state.get(SCORE_KEY) as { cs: Constraint[]; counts: Array<Map<string, number>>; weights: number[]; ignored: Set<string> } | undefined;
      if (!s || s.ignored.has(node.name)) return 0;
      const labels = node.node.metadata.labels ?? {};
      let score = 0;
      s.cs.forEach((c, i) => {
        const v = labels[c.topologyKey];
        if (v === undefined) return;
        const cnt = c.topologyKey === 'kubernetes.io/hostname' ? countMatching(node, c, pod.metadata.namespace ?? '') : (s.counts[i]!.get(v) ?? 0);
        score += cnt * s.weights[i]! + (c.maxSkew - 1);
      });
      return Math.round(score);
    },
    normalizeScore(state, _pod, scores) {
      const s = state.get(SCORE_KEY) as { ignored: Set<string> } | undefined;
      if (!s) return;
      let min = Infinity;
      let max = 0;
      for (const x of scores) {
        if (s.ignored.has(x.name)) continue;
        min = Math.min(min, x.score);
        max = Math.max(max, x.score);
      }
      for (const x of scores) {
        if (s.ignored.has(x.name)) x.score = 0;
        else if (max === 0) x.score = MAX_NODE_SCORE;
        else x.score = Math.trunc((MAX_NODE_SCORE * (max + min - x.score)) / max);
      }
    },
  };
}
