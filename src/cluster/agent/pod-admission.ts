/**
 * The kubelet's admission of a pod it has not run yet (lifecycle predicate admit handler, the
 * resource part of it): the pods it already runs plus this one must fit the node's allocatable
 * pods, cpu and memory requests. A pod that does not fit is rejected for good: phase Failed,
 * reason OutOf<resource>, message "Pod was rejected: Node didn't have enough resource: ...", as
 * upstream, and never started. This also bounds what the agent runs to --max-pods.
 *
 * Not checked (upstream does): node name/selector/affinity and taints, host ports, extended
 * resources, sysctls, AppArmor.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/validation/quantity.ts';

export interface Rejection {
  reason: string;
  message: string;
}

/** A quantity in milli-units (cpu) or units (everything else), rounded up, as MilliValue / Value. */
function amount(v: unknown, milli: boolean): bigint {
  const q = parseQuantity(v);
  if (!q) return 0n;
  const n = q.num * (milli ? 1000n : 1n);
  return n / q.den + (n % q.den !== 0n && n > 0n ? 1n : 0n);
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

/** Undefined when `pod` fits beside `running` on a node with `allocatable`. */
export function admitPod(pod: Pod, running: readonly Pod[], allocatable: Readonly<Record<string, string>>): Rejection | undefined {
  const reject = (r: string, requested: bigint, used: bigint, capacity: bigint): Rejection => ({
    reason: `OutOf${r}`,
    message: `Pod was rejected: Node didn't have enough resource: ${r}, requested: ${requested}, used: ${used}, capacity: ${capacity}`,
  });
  const maxPods = amount(allocatable.pods ?? '110', false);
  if (BigInt(running.length) + 1n > maxPods) return reject('pods', 1n, BigInt(running.length), maxPods);
  for (const r of ['cpu', 'memory']) {
    const want = podRequest(pod, r);
    if (want === 0n || allocatable[r] === undefined) continue;
    const capacity = amount(allocatable[r], r === 'cpu');
    let used = 0n;
    for (const p of running) used += podRequest(p, r);
    if (used + want > capacity) return reject(r, want, used, capacity);
  }
  return undefined;
}
