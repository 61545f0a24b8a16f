/**
 * A container's cgroup limits as the kubelet computes them (kuberuntime calculateLinuxResources,
 * cm.MilliCPUToShares / MilliCPUToQuota) and its oom_score_adj (qos.GetContainerOOMScoreAdjust).
 * The request defaults to the limit when only the limit is set, as the API server does.
 */
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { parseQty, qtyInt64MilliValue, qtyInt64Value } from '../../../api/quantity.ts';

const MIN_SHARES = 2;
const MAX_SHARES = 262144;
const QUOTA_PERIOD = 100_000;
const MIN_QUOTA = 1_000;

export interface CgroupResources {
  cpu: { shares: number; quota?: number; period?: number };
  memory?: { limit: number; swap: number };
  pids?: { limit: number };
}

/**
 * Quantity.MilliValue (rounded up) as the kubelet's int64 (a limit past int64, such as 1e1000,
 * is what Go's MilliValue returns: 0, or the low 64 bits of an inf.Dec); 0 when absent or
 * unparsable (validation refused those).
 */
export function milliValue(q: string | number | undefined): number {
  const p = q === undefined ? undefined : parseQty(q);
  return p && p.nanos > 0n ? Number(qtyInt64MilliValue(p)) : 0;
}

/** Quantity.Value (rounded up), as the kubelet's int64 (see milliValue). */
export function byteValue(q: string | number | undefined): number {
  const p = q === undefined ? undefined : parseQty(q);
  return p && p.nanos > 0n ? Number(qtyInt64Value(p)) : 0;
}

/** Go's int64 (a * b) / c: the product wraps, the quotient truncates. */
const int64MulDiv = (a: number, b: bigint, c: bigint): number => Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) * b) / c);

export function milliCpuToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  const shares = int64MulDiv(milli, 1024n, 1000n);
  return Math.min(Math.max(shares, MIN_SHARES), MAX_SHARES);
}

export function milliCpuToQuota(milli: number, period = QUOTA_PERIOD): number {
  if (milli === 0) return 0;
  return Math.max(int64MulDiv(milli, BigInt(period), 1000n), MIN_QUOTA);
}

export function containerResources(c: Container, pidsLimit?: number): CgroupResources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuReq = req.cpu !== undefined ? milliValue(req.cpu) : milliValue(lim.cpu);
  const out: CgroupResources = { cpu: { shares: milliCpuToShares(cpuReq) } };
  const quota = milliCpuToQuota(milliValue(lim.cpu));
  if (quota > 0) out.cpu = { ...out.cpu, quota, period: QUOTA_PERIOD };
  const mem = byteValue(lim.memory);
  // swap = limit: no swap use beyond the limit (containerd sets memory.memsw the same on cgroup v1).
  // containerd sets any non-zero limit: one past int64 is Go's Value (0: none; a wrapped negative
  // one runc refuses, as upstream).
  if (mem !== 0) out.memory = { limit: mem, swap: mem };
  if (pidsLimit !== undefined && pidsLimit > 0) out.pids = { limit: pidsLimit };
  return out;
}

type Qos = 'Guaranteed' | 'Burstable' | 'BestEffort';

const nanosOf = (q: string | number | undefined): bigint => (q === undefined ? 0n : (parseQty(q)?.nanos ?? 0n));

/** v1qos.GetPodQOS over cpu and memory: quantities compared (Cmp), not their int64 values. */
export function podQos(spec: PodSpec): Qos {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const l = nanosOf(lim[r]);
      const q = req[r] !== undefined ? nanosOf(req[r]) : l;
      if (q > 0n || l > 0n) any = true;
      if (l <= 0n || q !== l) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** qos.GetContainerOOMScoreAdjust; memoryCapacity is the node's memory in bytes. */
export function oomScoreAdj(spec: PodSpec, c: Container, memoryCapacity: number): number {
  const qos = podQos(spec);
  if (qos === 'Guaranteed') return -997;
  if (qos === 'BestEffort') return 1000;
  const request = byteValue(c.resources?.requests?.memory ?? c.resources?.limits?.memory);
  const adj = 1000 - Math.floor((1000 * request) / memoryCapacity);
  if (adj < 3) return 3;
  if (adj === 1000) return 999;
  return adj;
}
