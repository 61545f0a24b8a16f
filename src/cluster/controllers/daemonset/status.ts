/**
 * DaemonSet status (daemon_controller.go updateDaemonSetStatus): per eligible node, whether a pod
 * is there and whether the oldest one is ready, available and updated; pods on nodes that should
 * not run one are misscheduled.
 */
import type { K8sObject } from '../../client/types.ts';
import { isPodAvailable, isPodReady, type Pod } from '../pod-util.ts';
import { isPodUpdated, nodeShouldRunDaemonPod, templateGeneration } from './eligibility.ts';
import { byCreationAndPhase } from './manage.ts';

export interface DaemonStatus {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

export function computeDaemonStatus(ds: K8sObject, nodes: readonly K8sObject[], nodeToPods: Map<string, Pod[]>, hash: string, nowMs: number): DaemonStatus {
  const s: DaemonStatus = { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0, numberUnavailable: 0 };
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const gen = templateGeneration(ds);
  for (const node of nodes) {
    const pods = nodeToPods.get(node.metadata.name!) ?? [];
    const scheduled = pods.length > 0;
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (scheduled) s.numberMisscheduled++;
      continue;
    }
    s.desiredNumberScheduled++;
    if (!scheduled) continue;
    s.currentNumberScheduled++;
    const pod = [...pods].sort(byCreationAndPhase)[0]!;
    if (isPodReady(pod)) {
      s.numberReady++;
      if (isPodAvailable(pod, minReady, nowMs)) s.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, gen)) s.updatedNumberScheduled++;
  }
  s.numberUnavailable = s.desiredNumberScheduled - s.numberAvailable;
  return s;
}

/** storeDaemonSetStatus skips a write when nothing changed and the generation is observed. */
export function daemonStatusChanged(ds: K8sObject, s: DaemonStatus, observedGeneration: number | undefined): boolean {
  const cur = ds.status ?? {};
  if ((cur.observedGeneration ?? 0) < (observedGeneration ?? 0)) return true;
  return (Object.keys(s) as (keyof DaemonStatus)[]).some((k) => (cur[k] ?? 0) !== s[k]);
}
