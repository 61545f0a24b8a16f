/**
 * The status stanza upstream always answers with. Built-in kinds keep status in a non-pointer Go
 * struct, which encoding/json writes even when empty (omitempty does not apply to structs), and
 * its non-omitempty fields with their zero values: a new Service reads
 * `"status":{"loadBalancer":{}}`, a ReplicaSet `"status":{"replicas":0}`, most kinds `"status":{}`.
 * Clients rely on it (typed clients, `kubectl wait`, golden files), so it is written with the object.
 */
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import { cloneJson } from '../../api/patch/json-value.ts';

/** The zero status of kinds whose status struct has non-omitempty members, from the Go types. */
const ZERO: Record<string, Record<string, unknown>> = {
  '/Service': { loadBalancer: {} },
  'networking.k8s.io/Ingress': { loadBalancer: {} },
  '/ReplicationController': { replicas: 0 },
  'apps/ReplicaSet': { replicas: 0 },
  'apps/StatefulSet': { replicas: 0, availableReplicas: 0 },
  'apps/DaemonSet': { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
  'autoscaling/HorizontalPodAutoscaler': { desiredReplicas: 0 },
  'policy/PodDisruptionBudget': { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
  'storage.k8s.io/VolumeAttachment': { attached: false },
};

/** Fills in what the Go encoder would write for an empty status, keeping every value already set. */
export function withZeroStatus(def: ResourceDef, status: unknown): unknown {
  // Custom resources are unstructured: upstream writes only what they hold.
  if (!def.status || def.custom || !def.typeName) return status;
  if (status !== undefined && status !== null && (typeof status !== 'object' || Array.isArray(status))) return status;
  const zero = ZERO[`${def.group}/${def.kind}`] ?? {};
  const out: Record<string, unknown> = { ...cloneJson(zero), ...((status as Record<string, unknown> | null) ?? {}) };
  for (const [k, v] of Object.entries(zero)) if (out[k] === null || out[k] === undefined) out[k] = cloneJson(v);
  return out;
}
