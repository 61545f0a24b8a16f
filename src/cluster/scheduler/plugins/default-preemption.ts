/**
 * DefaultPreemption (plugins/defaultpreemption, framework/preemption): when no node fits, find
 * nodes where evicting lower-priority pods would let the pod fit (dry run on a copy of the node,
 * then reprieve as many victims as possible, most important first), pick the candidate with the
 * least important victims, evict them (DisruptionTarget condition, then delete) and nominate the
 * node. With no candidate its status carries upstream's "preemption: 0/N nodes are available: …".
 * PodDisruptionBudgets are not consulted yet (no PDB informer here).
 */
import { SUCCESS, unschedulable, unresolvable, type PluginContext, type PostFilterPlugin, type Status } from '../framework.ts';
import { fitErrorMessage } from '../fit-error.ts';
import { podKey, type NodeInfo } from '../node-info.ts';
import type { Pod } from '../resources.ts';
import { PODS } from './default-binder.ts';
import { setPodCondition } from '../pod-status.ts';

export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';

export const podPriority = (p: Pod): number => (typeof p.spec?.priority === 'number' ? p.spec.priority : 0);

function startTime(p: Pod): string {
  return p.status?.startTime ?? p.metadata.creationTimestamp ?? '';
}

/** MoreImportantPod: higher priority, then the one that started earlier. */
export function moreImportant(a: Pod, b: Pod): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return startTime(a) < startTime(b);
}

interface Candidate { node: string; victims: Pod[] }

export function defaultPreemption(ctx: PluginContext): PostFilterPlugin & { selectVictims(pod: Pod, node: NodeInfo): { victims?: Pod[]; status: Status } } {
  function selectVictims(pod: Pod, original: NodeInfo): { victims?: Pod[]; status: Status } {
    const node = original.clone();
    const prio = podPriority(pod);
    const potential = node.pods.filter((p) => podPriority(p) < prio);
    for (const p of potential) node.removePod(podKey(p));
    if (potential.length === 0) return { status: unresolvable(NO_VICTIMS) };
    const nodes = ctx.handle.nodeInfos().map((n) => (n.name === node.name ? node : n));
    const fits = (): Status => {
      const { state, status } = ctx.runPreFilters(pod, nodes);
      return status.isSuccess() ? ctx.runFilters(state, pod, node) : status;
    };
    const first = fits();
    if (!first.isSuccess()) return { status: first };
    potential.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    const victims: Pod[] = [];
    for (const p of potential) {
      node.addPod(p);
      if (!fits().isSuccess()) {
        node.removePod(podKey(p));
        victims.push(p);
      }
    }
    return { victims, status: SUCCESS };
  }

  async function evict(pod: Pod, victim: Pod, nodeName: string): Promise<void> {
    const { namespace = '', name = '' } = victim.metadata;
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${ctx.schedulerName}: preempting to accommodate a higher priority pod` };
    try {
      await setPodCondition(ctx.client, victim, condition, ctx.now());
      await ctx.client.delete(PODS, namespace, name);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    void nodeName;
  }

  return {
    name: 'DefaultPreemption',
    selectVictims,
    async postFilter(_state, pod, statuses) {
      if (pod.spec?.preemptionPolicy === 'Never') return { status: unschedulable('preemption: not eligible due to preemptionPolicy=Never.') };
      const all = ctx.handle.nodeInfos();
      const nominated = pod.status?.nominatedNodeName;
      if (nominated && statuses.get(nominated)?.code !== 'UnschedulableAndUnresolvable') {
        const n = all.find((x) => x.name === nominated);
        const terminating = n?.pods.some((p) => podPriority(p) < podPriority(pod) && p.metadata.deletionTimestamp &&
          (p.status?.conditions ?? []).some((c: { type: string; status: string; reason?: string }) => c.type === 'DisruptionTarget' && c.status === 'True' && c.reason === 'PreemptionByScheduler'));
        if (terminating) return { status: unschedulable('preemption: not eligible due to a terminating pod on the nominated node.') };
      }
      const nodeStatuses = new Map<string, Status>();
      const candidates: Candidate[] = [];
      for (const n of all) {
        if (statuses.get(n.name)?.code !== 'Unschedulable') continue;
        const r = selectVictims(pod, n);
        if (r.status.isSuccess() && r.victims && r.victims.length > 0) candidates.push({ node: n.name, victims: r.victims });
        else nodeStatuses.set(n.name, r.status.isSuccess() ? unresolvable(`expected at least one victim pod on node "${n.name}"`) : r.status);
      }
      if (candidates.length === 0) {
        const msg = fitErrorMessage(all.length, { statuses: nodeStatuses, absentStatus: unresolvable(PREEMPTION_NOT_HELPFUL) });
        return { status: unschedulable(`preemption: ${msg}`), nominatedNodeName: '' };
      }
      const best = pickCandidate(candidates);
      for (const v of best.victims) await evict(pod, v, best.node);
      return { status: SUCCESS, nominatedNodeName: best.node };
    },
  };
}

/** pickOneNodeForPreemption, without PDBs: lowest highest-victim priority, lowest sum, fewest victims. */
function pickCandidate(cs: Candidate[]): Candidate {
  const key = (c: Candidate) => {
    const prios = c.victims.map(podPriority);
    return [Math.max(...prios), prios.reduce((s, p) => s + p + 2147483648, 0), c.victims.length];
  };
  let best = cs[0]!;
  let bestKey = key(best);
  for (const c of cs.slice(1)) {
    const k = key(c);
    for (let i = 0; i < k.length; i++) {
      if (k[i]! < bestKey[i]!) {
        best = c;
        bestKey = k;
        break;
      }
      if (k[i]! > bestKey[i]!) break;
    }
  }
  return best;
}
