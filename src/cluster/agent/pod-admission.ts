/**
 * The kubelet's admission of a pod it has not run yet (lifecycle predicateAdmitHandler): the OS
 * checks, then scheduler.AdmissionCheck — the pods it already runs plus this one must fit the node's
 * allocatable pods, cpu and memory requests; the pod's node selector and required node affinity must
 * match the Node; spec.nodeName must be this node; its host ports must be free — then NoExecute
 * taints it does not tolerate. A pod that fails is rejected for good: phase Failed, the first
 * reason (OutOf<resource>, or the predicate's name: NodeAffinity, NodeName, NodePorts,
 * TaintToleration) and message "Pod was rejected: …" in upstream's words, and never started. This
 * also bounds what the agent runs to --max-pods.
 *
 * Under node pressure (the eviction manager's node conditions, `pressure`) a new pod that is not
 * critical is refused first: reason Evicted, "The node had condition: [DiskPressure]. "; under
 * MemoryPressure alone only BestEffort pods that do not tolerate the memory-pressure taint are.
 *
 * A pod asking for its own user namespace (hostUsers: false) or an AppArmor profile is rejected: the
 * runtime makes neither.
 *
 * The sysctl allowlist comes second, as upstream's admit handlers run: a sysctl outside the safe
 * set and the node's --allowed-unsafe-sysctls (runtime/sysctl-allowlist.ts), or a net.* / IPC one
 * with the host's namespace, is rejected with reason SysctlForbidden in upstream's words.
 *
 * A critical pod short only of pods, cpu or memory (no other predicate failing) comes back with
 * what it lacks (`insufficient`): the admitter preempts pods for it (preemption.ts). When another
 * predicate fails too, that one is the reason, as upstream's handler keeps only those.
 *
 * Not checked (upstream does): extended resources.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQty, qtyMilliValue, qtyValue } from '../../api/quantity.ts';
import { findUntoleratedTaint, podMatchesNodeSelectorAndAffinity, tolerationsTolerateTaint, type Taint } from '../scheduler/labels.ts';
import { podQos } from './runtime/cgroup-resources.ts';
import { NodeInfo, podHostPorts } from '../scheduler/node-info.ts';
import type { K8sObject } from '../client/types.ts';
import { isCriticalPod } from './eviction/local-storage-limits.ts';
import { SAFE_SYSCTL_ALLOWLIST, SysctlForbiddenError, type SysctlAllowlist } from './runtime/sysctl-allowlist.ts';

export interface Rejection {
  reason: string;
  message: string;
  /** A critical pod refused only for resources: how much of each it lacks (requested − (capacity − used)). */
  insufficient?: Array<{ resource: string; quantity: bigint }>;
}

/** A quantity in milli-units (cpu) or units (everything else), rounded up, as MilliValue / Value. */
function amount(v: unknown, milli: boolean): bigint {
  const q = parseQty(v);
  if (!q) return 0n;
  return milli ? qtyMilliValue(q) : qtyValue(q);
}

const request = (c: Container, r: string, milli: boolean): bigint => amount(c.resources?.requests?.[r] ?? c.resources?.limits?.[r], milli);

/** The pod's effective request (resourcehelper.PodRequests): max(sum of containers + sidecars, any init container) + overhead. */
export function podRequest(pod: Pod, r: string): bigint {
  const milli = r === 'cpu';
  let sum = 0n;
  for (const c of pod.spec?.containers ?? []) sum += request(c, r, milli);
  let sidecars = 0n;
  let initMax = 0n;
  for (const c of pod.spec?.initContainers ?? []) {
    const v = request(c, r, milli);
    if (c.restartPolicy === 'Always') {
      sidecars += v;
      if (sidecars > initMax) initMax = sidecars;
    } else if (sidecars + v > initMax) initMax = sidecars + v;
  }
  sum += sidecars;
  return (sum > initMax ? sum : initMax) + amount(pod.spec?.overhead?.[r], milli);
}

/** The predicates' failure: "Predicate NAME failed: REASON", as PredicateFailureError. */
const predicate = (name: string, reason: string): Rejection => ({ reason: name, message: `Pod was rejected: Predicate ${name} failed: ${reason}` });

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** apparmor.isRequired: a profile other than Unconfined on the pod, any container, or a beta annotation. */
export function requiresAppArmor(pod: Pod): boolean {
  const confined = (p: { type?: string } | undefined) => p !== undefined && p.type !== 'Unconfined';
  const spec = pod.spec;
  if (confined(spec?.securityContext?.appArmorProfile)) return true;
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
  if (containers.some((c) => confined(c.securityContext?.appArmorProfile))) return true;
  return Object.entries(pod.metadata?.annotations ?? {}).some(([k, v]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && v !== 'unconfined');
}

/**
 * Undefined when `pod` may run beside `running` on `node` (the agent's Node object; without one only
 * the resources are checked) with `allocatable`.
 */
export function admitPod(pod: Pod, running: readonly Pod[], allocatable: Readonly<Record<string, string>>, node?: K8sObject, pressure: readonly string[] = [], sysctls: SysctlAllowlist = SAFE_SYSCTL_ALLOWLIST): Rejection | undefined {
  // The eviction manager's admit handler runs first: under pressure every pod but a critical one is
  // refused, except that MemoryPressure alone admits pods that are not BestEffort, and BestEffort
  // ones that tolerate the memory-pressure taint.
  if (pressure.length && !isCriticalPod(pod) && !admittedUnderMemoryPressure(pod, pressure)) return { reason: 'Evicted', message: `Pod was rejected: The node had condition: [${pressure.join(' ')}]. ` };
  const forbidden = sysctlRejection(pod, sysctls);
  if (forbidden) return forbidden;
  // Checks preemption would not help with come first (rejectPodAdmissionBasedOnOSSelector / OSField).
  const podOS = pod.metadata?.labels?.['kubernetes.io/os'];
  if (podOS !== undefined && podOS !== 'linux') return { reason: 'PodOSSelectorNodeLabelDoesNotMatch', message: "Pod was rejected: Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" };
  if (pod.spec?.os?.name !== undefined && pod.spec.os.name !== 'linux') return { reason: 'PodOSNotSupported', message: "Pod was rejected: Failed to admit pod as the OS field doesn't match node OS" };
  // This runtime makes no user namespaces. Running such a pod in the host's would break what the
  // API promised it: PodSecurity (v1.35+, latest) lets hostUsers: false pods run as root and, at
  // baseline, with procMount Unmasked, i.e. as real root with a writable /proc/sys. Upstream's
  // kubelet refuses the pod too ("RuntimeClass handler %q does not support user namespaces").
  if (pod.spec?.hostUsers === false) return { reason: 'UserNamespacesNotSupported', message: 'Pod was rejected: RuntimeClass handler "" does not support user namespaces (spec.hostUsers: false)' };
  // Nor does it apply AppArmor profiles: a pod asking for one would run unconfined (upstream's
  // appArmorAdmitHandler rejects it on a host without AppArmor, in these words but for the cause).
  if (requiresAppArmor(pod)) return { reason: 'AppArmor', message: 'Pod was rejected: Cannot enforce AppArmor: this node agent does not apply AppArmor profiles' };
  const short = insufficientResources(pod, running, allocatable);
  if (!short.length) return predicates(pod, running, node);
  const first = short[0]!;
  const rejection = { reason: `OutOf${first.resource}`, message: `Pod was rejected: Node didn't have enough resource: ${first.resource}, requested: ${first.requested}, used: ${first.used}, capacity: ${first.capacity}` };
  if (!isCriticalPod(pod)) return rejection;
  return predicates(pod, running, node) ?? { ...rejection, insufficient: short.map((r) => ({ resource: r.resource, quantity: r.requested - (r.capacity - r.used) })) };
}

/** The predicates after the resources (AdmissionCheck's node affinity, node name, host ports; then NoExecute taints). */
function predicates(pod: Pod, running: readonly Pod[], node: K8sObject | undefined): Rejection | undefined {
  if (!node) return undefined;
  const p = pod as K8sObject;
  if (!podMatchesNodeSelectorAndAffinity(p, node)) return predicate('NodeAffinity', "node(s) didn't match Pod's node affinity/selector");
  if (pod.spec?.nodeName && pod.spec.nodeName !== node.metadata.name) return predicate('NodeName', "node(s) didn't match the requested node name");
  const ports = podHostPorts(p);
  if (ports.length) {
    const info = new NodeInfo(node);
    for (const r of running) info.addPod(r as K8sObject);
    if (ports.some((hp) => info.portConflicts(hp))) return predicate('NodePorts', "node(s) didn't have free ports for the requested pod ports");
  }
  // The kubelet is only interested in NoExecute taints (the scheduler looked at NoSchedule).
  const taints = (node.spec?.taints as Taint[] | undefined) ?? [];
  if (findUntoleratedTaint(taints, pod.spec?.tolerations ?? [], (t) => t.effect === 'NoExecute')) return predicate('TaintToleration', "node(s) had taints that the pod didn't tolerate");
  return undefined;
}

/** The sysctl allowlist's Admit: reason SysctlForbidden, "forbidden sysctl: …". */
function sysctlRejection(pod: Pod, allowlist: SysctlAllowlist): Rejection | undefined {
  if (!pod.spec?.securityContext?.sysctls?.length) return undefined;
  try {
    allowlist.check(pod.spec);
  } catch (err) {
    if (err instanceof SysctlForbiddenError) return { reason: 'SysctlForbidden', message: `Pod was rejected: ${err.message}` };
    throw err;
  }
  return undefined;
}

function admittedUnderMemoryPressure(pod: Pod, pressure: readonly string[]): boolean {
  if (pressure.length !== 1 || pressure[0] !== 'MemoryPressure') return false;
  if (!pod.spec || podQos(pod.spec) !== 'BestEffort') return true;
  return tolerationsTolerateTaint(pod.spec.tolerations ?? [], { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' });
}

interface Shortfall {
  resource: string;
  requested: bigint;
  used: bigint;
  capacity: bigint;
}

/** noderesources.Fits for pods, cpu and memory, every failure (includeAllFailures): none when `pod` fits beside `running`. */
function insufficientResources(pod: Pod, running: readonly Pod[], allocatable: Readonly<Record<string, string>>): Shortfall[] {
  const out: Shortfall[] = [];
  const maxPods = amount(allocatable.pods ?? '110', false);
  if (BigInt(running.length) + 1n > maxPods) out.push({ resource: 'pods', requested: 1n, used: BigInt(running.length), capacity: maxPods });
  for (const r of ['cpu', 'memory']) {
    const want = podRequest(pod, r);
    if (want === 0n || allocatable[r] === undefined) continue;
    const capacity = amount(allocatable[r], r === 'cpu');
    let used = 0n;
    for (const p of running) used += podRequest(p, r);
    if (used + want > capacity) out.push({ resource: r, requested: want, used, capacity });
  }
  return out;
}
