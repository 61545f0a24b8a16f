/**
 * Node health as upstream's tryUpdateNodeHealth judges it: a node is alive while either its
 * Ready condition's lastHeartbeatTime or its kube-node-lease Lease's renewTime keeps changing.
 * Changes are timed on the controller's own clock when it observes them (probeTimestamp), never
 * from the timestamps the kubelet wrote, so clock skew between node and controller cannot keep a
 * dead node alive. Past the grace period the Ready, MemoryPressure, DiskPressure and PIDPressure
 * conditions become Unknown.
 */
import type { K8sObject } from '../../client/types.ts';
import { formatTime } from '../pod-util.ts';

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

/** What the controller remembers of a node between passes (nodeHealthData). */
export interface NodeHealth {
  ready?: NodeCondition;
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  leaseRenewTime?: number;
}

/** Conditions that go Unknown with the node (NetworkUnavailable is the network plugin's). */
const LIFECYCLE_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export const conditionOf = (node: K8sObject, type: string): NodeCondition | undefined =>
  (Array.isArray(node.status?.conditions) ? node.status.conditions : []).find((c: NodeCondition) => c?.type === type);

const microTimeMs = (v: unknown): number | undefined => {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
};

export interface HealthVerdict {
  health: NodeHealth;
  gracePeriodMs: number;
  /** Ready as the node had it when read (a fake Unknown one when it never posted any). */
  observedReady: NodeCondition;
  /** The conditions to write through nodes/status, when they go Unknown now. */
  newConditions?: NodeCondition[];
}

export interface HealthTiming {
  monitorGracePeriodMs: number;
  startupGracePeriodMs: number;
}

export function judgeNodeHealth(node: K8sObject, lease: K8sObject | undefined, saved: NodeHealth | undefined, now: number, t: HealthTiming): HealthVerdict {
  const created = Date.parse(node.metadata.creationTimestamp ?? '') || now;
  const current = conditionOf(node, 'Ready');
  let health = saved;
  let gracePeriodMs = t.monitorGracePeriodMs;
  let observedReady: NodeCondition;
  if (!current) {
    // The kubelet never posted status: judge from creation, with the startup grace period.
    const createdAt = node.metadata.creationTimestamp;
    observedReady = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: createdAt, lastTransitionTime: createdAt };
    gracePeriodMs = t.startupGracePeriodMs;
    health = health ? { ...health, ready: undefined } : { probeTimestamp: created, readyTransitionTimestamp: created };
  } else {
    observedReady = { ...current };
    if (!health || !health.ready) {
      health = { ready: current, probeTimestamp: now, readyTransitionTimestamp: now, leaseRenewTime: health?.leaseRenewTime };
    } else if (health.ready.lastHeartbeatTime !== current.lastHeartbeatTime) {
      const transition = health.ready.lastTransitionTime !== current.lastTransitionTime ? now : health.readyTransitionTimestamp;
      health = { ready: current, probeTimestamp: now, readyTransitionTimestamp: transition, leaseRenewTime: health.leaseRenewTime };
    } else {
      health = { ...health, ready: current };
    }
  }
  // A renewed Lease is a heartbeat too (a node that renews its Lease but never posts status is
  // taken as healthy, as upstream).
  const renew = microTimeMs(lease?.spec?.renewTime);
  if (renew !== undefined && (health.leaseRenewTime === undefined || health.leaseRenewTime < renew)) {
    health = { ...health, leaseRenewTime: renew, probeTimestamp: now };
  }
  if (now <= health.probeTimestamp + gracePeriodMs) return { health, gracePeriodMs, observedReady };

  const stamp = formatTime(now);
  const conditions: NodeCondition[] = (Array.isArray(node.status?.conditions) ? node.status.conditions : []).map((c: NodeCondition) => ({ ...c }));
  for (const type of LIFECYCLE_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: stamp });
    } else if (c.status !== 'Unknown') {
      Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: stamp });
    }
  }
  const ready = conditions.find((c) => c.type === 'Ready')!;
  if (JSON.stringify(ready) === JSON.stringify(current)) return { health, gracePeriodMs, observedReady };
  return { health, gracePeriodMs, observedReady, newConditions: conditions };
}
