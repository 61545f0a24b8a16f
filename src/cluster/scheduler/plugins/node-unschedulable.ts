/**
 * NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate the
 * node.kubernetes.io/unschedulable:NoSchedule taint (plugins/nodeunschedulable).
 */
import { unresolvable, type FilterPlugin } from '../framework.ts';
import { tolerationsTolerateTaint } from '../labels.ts';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export function nodeUnschedulable(): FilterPlugin {
  return {
    name: 'NodeUnschedulable',
    filter(_state, pod, node) {
      if (!node.node.spec?.unschedulable) return undefined;
      if (tolerationsTolerateTaint(pod.spec?.tolerations ?? [], UNSCHEDULABLE_TAINT)) return undefined;
      return unresolvable(ERR_REASON_UNSCHEDULABLE);
    },
  };
}
