/**
 * Which nodes a DaemonSet runs on (daemon_controller.go NodeShouldRunDaemonPod, util/daemonset_util.go):
 * the template's pod, with the DaemonSet's default tolerations, must fit the node's name, node
 * selector and required affinity, and tolerate its NoSchedule/NoExecute taints to be placed;
 * a pod already there may stay while it tolerates the NoExecute ones. Pods are placed with a
 * required node affinity on metadata.name (upstream since 1.12), so the scheduler binds them.
 */
import type { K8sObject } from '../../client/types.ts';
import { findUntoleratedTaint, podMatchesNodeSelectorAndAffinity, type Taint, type Toleration } from '../../scheduler/labels.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history.ts';
import type { Pod } from '../pod-util.ts';

/** extensions.DaemonSetTemplateGenerationKey, from the deprecated.daemonset.template.generation annotation. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

const exists = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });

/**
 * AddOrUpdateDaemonPodTolerations: a daemon keeps running on a node that is not ready or
 * unreachable, and lands on one under resource pressure or cordoned; with hostNetwork, also on
 * one whose network is not configured yet.
 */
export function daemonTolerations(spec: Record<string, any>): Toleration[] {
  const add = [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
  ];
  if (spec.hostNetwork) add.push(exists('node.kubernetes.io/network-unavailable', 'NoSchedule'));
  const out: Toleration[] = [...(spec.tolerations ?? [])];
  // AddOrUpdateTolerationInPodSpec: one that matches key, operator, value and effect is not added twice.
  for (const t of add) {
    if (!out.some((o) => o.key === t.key && (o.operator ?? 'Equal') === t.operator && (o.value ?? '') === '' && o.effect === t.effect)) out.push(t);
  }
  return out;
}

export function templateGeneration(ds: K8sObject): string | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return typeof v === 'string' && /^\d+$/.test(v) ? v : undefined;
}

/** util.CreatePodTemplate: the template with the default tolerations, the generation and hash labels. */
export function podTemplate(ds: K8sObject, hash: string): Record<string, any> {
  const t = structuredClone(ds.spec?.template ?? {});
  t.metadata = { ...t.metadata, labels: { ...t.metadata?.labels } };
  const gen = templateGeneration(ds);
  if (gen !== undefined) t.metadata.labels[TEMPLATE_GENERATION_LABEL] = gen;
  if (hash) t.metadata.labels[CONTROLLER_REVISION_HASH_LABEL] = hash;
  t.spec = { ...t.spec, tolerations: daemonTolerations(t.spec ?? {}) };
  return t;
}

/** util.ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become metadata.name In [node]. */
export function withNodeNameAffinity(affinity: Record<string, any> | undefined, nodeName: string): Record<string, any> {
  const terms = [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }];
  const a = structuredClone(affinity ?? {});
  const required = a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  a.nodeAffinity = { ...a.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { ...required, nodeSelectorTerms: terms } };
  return a;
}

/** util.GetTargetNodeName: spec.nodeName, else the single node the affinity names. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term?.matchFields ?? []) {
      if (f?.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

export interface ShouldRun {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/** NodeShouldRunDaemonPod. */
export function nodeShouldRunDaemonPod(node: K8sObject, ds: K8sObject): ShouldRun {
  const spec = ds.spec?.template?.spec ?? {};
  const name = node.metadata.name ?? '';
  if (spec.nodeName && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  // NewPod: the template's pod on this node, with the daemon tolerations.
  const pod: Pod = { metadata: { ...ds.spec?.template?.metadata, namespace: ds.metadata.namespace }, spec: { ...spec, nodeName: name, tolerations: daemonTolerations(spec) } };
  if (!podMatchesNodeSelectorAndAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints: Taint[] = node.spec?.taints ?? [];
  const tolerations = pod.spec.tolerations as Toleration[];
  if (findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) {
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** util.IsPodUpdated: the pod carries the current hash (or the current template generation). */
export function isPodUpdated(pod: Pod, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (hash !== '' && labels[CONTROLLER_REVISION_HASH_LABEL] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation);
}
