/**
 * TaintNodesByCondition (plugin/pkg/admission/nodetaint, on by default upstream): a Node is created
 * with the taint node.kubernetes.io/not-ready:NoSchedule (unless it already has a taint of that key
 * and effect), so no pod is scheduled onto a node before it has reported Ready. The node lifecycle
 * controller removes the taint once the Node's Ready condition is True (noScheduleDiff in
 * src/cluster/controllers/node-lifecycle/taints.ts).
 */
import type { AdmissionAttributes, MutatingPlugin, Verdict } from '../types.ts';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';

export class TaintNodesByCondition implements MutatingPlugin {
  readonly name = 'TaintNodesByCondition';

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.resource.group === '' && a.resource.resource === 'nodes' && a.subresource === '';
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const node = a.object;
    if (!node || typeof node !== 'object') return { allowed: false, reason: `unexpected type ${typeof node}` };
    const spec = (node.spec ??= {});
    const taints: Array<{ key?: string; effect?: string }> = Array.isArray(spec.taints) ? spec.taints : [];
    // taint.MatchTaint: same key and effect.
    if (taints.some((t) => t?.key === TAINT_NODE_NOT_READY && t?.effect === 'NoSchedule')) return { allowed: true };
    const taint = { key: TAINT_NODE_NOT_READY, effect: 'NoSchedule' };
    spec.taints = [...taints, taint];
    return { allowed: true, patches: [taints.length ? { op: 'add', path: '/spec/taints/-', value: taint } : { op: 'add', path: '/spec/taints', value: [taint] }] };
  }
}
