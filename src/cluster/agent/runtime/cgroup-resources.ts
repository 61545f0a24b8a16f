/**
 * A container's cgroup limits as the kubelet computes them (kuberuntime calculateLinuxResources,
 * cm.MilliCPUToShares / MilliCPUToQuota) and its oom_score_adj (qos.GetContainerOOMScoreAdjust).
 * The request defaults to the limit when only the limit is set, as the API server does.
 */
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { parseQty, qtyMilliValue, qtyValue } from '../../../api/quantity.ts';

const MIN_SHARES = 2;
const MAX_SHARES = 262144;
const QUOTA_PERIOD = 100_000;
const MIN_QUOTA = 1_000;

export interface CgroupResources {
  cpu: { shares: number; quota?: number; period?: number };
  memory?: { limit: number; swap: number };
  pids?: { limit: number };
}

/** Quantity.MilliValue (rounded up); 0 when absent or unparsable (validation refused those). */
export function milliValue(q: string | number | undefined): number {
  const p = q === undefined ? undefined : parseQty(q);
  return p && p.nanos > 0n ? Number(qtyMilliValue(p)) : 0;
}

/** Quantity.Value (rounded up). */
export function byteValue(q: string | number | undefined): number {
  const p = q === undefined ? undefined : parseQty(q);
  return p && p.nanos > 0n ? Number(qtyValue(p)) : 0;
}

export function milliCpuToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  const shares = Math.floor((milli * 1024) / 1000);
  return Math.min(Math.max(shares, MIN_SHARES), MAX_SHARES);
}

export function milliCpuToQuota(milli: number, period = QUOTA_PERIOD): number {
  if (milli === 0) return 0;
  return Math.max(Math.floor((milli * period) / 1000), MIN_QUOTA);
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
  if (mem > 0) out.memory = { limit: mem, swap: mem };
  if (pidsLimit !== undefined && pidsLimit > 0) out.pids = { limit: pidsLimit };
  return out;
}

type Qos = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** v1qos.GetPodQOS over cpu and memory. */
export function podQos(spec: PodSpec): Qos {
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (milliValue(q) > 0 || milliValue(l) > 0) any = true;
      if (l === undefined || milliValue(l) === 0 || milliValue(q) !== milliValue(l)) guaranteed = false;
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
