/**
 * Node allocatable as the kubelet computes and enforces it (pkg/kubelet/cm/node_container_manager_linux.go):
 * - --system-reserved / --kube-reserved: cpu, memory, ephemeral-storage and pid amounts kept from pods
 *   (cmd/kubelet/app/server.go parseResourceList, its messages);
 * - --enforce-node-allocatable: "pods" (the default) limits the pods' parent cgroup to capacity less
 *   both reservations; "none" leaves it at capacity. "system-reserved" / "kube-reserved" need cgroups
 *   of their own (--system-reserved-cgroup, --kube-reserved-cgroup), which this agent does not have:
 *   refused with upstream's message rather than accepted and not enforced;
 * - Node status allocatable: capacity less both reservations less the hard eviction thresholds
 *   (GetNodeAllocatableReservation), never below zero.
 * Pure arithmetic; pods-cgroup-limits.ts writes the numbers to the cgroup.
 */
import { formatQty, parseQty, qtyFromInt, qtyFromMilli, qtyMilliValue, qtyValue, quantityParseError, QUANTITY_FORMAT_ERROR } from '../../../api/quantity.ts';
import { parseThresholdConfig } from '../eviction/thresholds.ts';

/** Reservable resources: cpu in millicores, the others in bytes or PIDs. */
export type Reservable = 'cpu' | 'memory' | 'ephemeral-storage' | 'pid';
export type ResourceAmounts = Partial<Record<Reservable, bigint>>;

const RESERVABLE: readonly string[] = ['cpu', 'memory', 'ephemeral-storage', 'pid'];

/**
 * A --system-reserved / --kube-reserved value (cpu=100m,memory=1Gi,...) as amounts; throws with
 * upstream's message on an unknown resource, a bad quantity or a negative one.
 */
export function parseReserved(flagName: string, value: string): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const pair of value.split(',')) {
    if (!pair.trim()) continue;
    const at = pair.indexOf('=');
    if (at < 0) throw new Error(`invalid --${flagName}: malformed pair, expect string=string: ${pair}`);
    const k = pair.slice(0, at).trim();
    const v = pair.slice(at + 1).trim();
    if (!RESERVABLE.includes(k)) throw new Error(`invalid --${flagName}: cannot reserve "${k}" resource`);
    const q = parseQty(v);
    if (!q) throw new Error(`invalid --${flagName}: failed to parse quantity "${v}" for "${k}" resource: ${quantityParseError(v) ?? QUANTITY_FORMAT_ERROR}`);
    if (q.nanos < 0n) throw new Error(`invalid --${flagName}: resource quantity for "${k}" cannot be negative: ${v}`);
    // cpu in millicores (as MilliValue, rounded up), the rest as Value (rounded up).
    out[k as Reservable] = k === 'cpu' ? qtyMilliValue(q) : qtyValue(q);
  }
  return out;
}

export type Enforcement = 'pods' | 'none';

/** --enforce-node-allocatable (the flag's default is "pods"), validated as upstream's ValidateKubeletConfiguration. */
export function parseEnforcement(values: readonly string[]): Enforcement {
  const errors: string[] = [];
  for (const v of values) {
    if (v === 'pods') continue;
    if (v === 'system-reserved' || v === 'kube-reserved') {
      const cg = v === 'system-reserved' ? 'systemReservedCgroup (--system-reserved-cgroup)' : 'kubeReservedCgroup (--kube-reserved-cgroup)';
      errors.push(`invalid configuration: ${cg} must be specified when "${v}" contained in enforceNodeAllocatable (--enforce-node-allocatable) (this agent has no such flag: only "pods" or "none" can be enforced)`);
    } else if (v === 'none') {
      if (values.length > 1) errors.push('invalid configuration: enforceNodeAllocatable (--enforce-node-allocatable) may not contain additional enforcements when "none" is specified');
    } else {
      errors.push(`invalid configuration: option "${v}" specified for enforceNodeAllocatable (--enforce-node-allocatable). Valid options are "pods", "system-reserved", "kube-reserved", or "none"`);
    }
  }
  if (errors.length) throw new Error(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  // An empty list (--enforce-node-allocatable=) enforces nothing, as "none".
  return values.includes('pods') ? 'pods' : 'none';
}

export interface NodeAllocatableInput {
  /** Capacity: cpu in millicores, memory and ephemeral-storage in bytes, pid the node's PID limit (only the cgroup uses it). */
  capacity: ResourceAmounts;
  systemReserved?: ResourceAmounts;
  kubeReserved?: ResourceAmounts;
  /** Hard eviction thresholds (--eviction-hard as a map): memory.available and nodefs.available are kept from allocatable. */
  evictionHard?: Readonly<Record<string, string>>;
}

const KEYS: readonly Reservable[] = ['cpu', 'memory', 'ephemeral-storage', 'pid'];
const floor0 = (v: bigint): bigint => (v < 0n ? 0n : v);

/** What the kubepods cgroup is limited to: capacity less both reservations (getNodeAllocatableAbsolute). */
export function podsCgroupAmounts(i: NodeAllocatableInput, enforcement: Enforcement = 'pods'): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const k of KEYS) {
    const cap = i.capacity[k];
    if (cap === undefined) continue;
    out[k] = enforcement === 'none' ? cap : floor0(cap - (i.systemReserved?.[k] ?? 0n) - (i.kubeReserved?.[k] ?? 0n));
  }
  return out;
}

/** The hard eviction thresholds as amounts kept from allocatable (hardEvictionReservation): memory and ephemeral-storage. */
export function evictionReservation(evictionHard: Readonly<Record<string, string>>, capacity: ResourceAmounts): ResourceAmounts {
  const { thresholds, error } = parseThresholdConfig({ hard: evictionHard });
  if (error) throw new Error(`invalid eviction thresholds: ${error}`);
  const out: ResourceAmounts = {};
  for (const t of thresholds) {
    const res = t.signal === 'memory.available' ? 'memory' : t.signal === 'nodefs.available' ? 'ephemeral-storage' : undefined;
    if (!res) continue;
    // As GetThresholdQuantity: a percentage is of the capacity, truncated to whole bytes.
    out[res] = t.fraction !== undefined ? BigInt(Math.floor(Number(capacity[res] ?? 0n) * t.fraction)) : BigInt(Math.ceil(t.quantity ?? 0));
  }
  return out;
}

/**
 * Node status allocatable amounts: capacity less system-reserved, kube-reserved and the hard eviction
 * reservation. Throws as validateNodeAllocatable when a reservation exceeds its capacity.
 */
export function allocatableAmounts(i: NodeAllocatableInput): ResourceAmounts {
  const evict = evictionReservation(i.evictionHard ?? {}, i.capacity);
  const out: ResourceAmounts = {};
  const errors: string[] = [];
  for (const k of KEYS) {
    if (k === 'pid' || i.capacity[k] === undefined) continue;
    const reserved = (i.systemReserved?.[k] ?? 0n) + (i.kubeReserved?.[k] ?? 0n) + (evict[k] ?? 0n);
    const left = i.capacity[k] - reserved;
    // Upstream's words, its two numbers in its (swapped) order.
    if (left < 0n) errors.push(`Resource "${k}" has an allocatable of ${format(k, reserved)}, capacity of ${format(k, left)}`);
    out[k] = floor0(left);
  }
  if (errors.length) throw new Error(`invalid Node Allocatable configuration. ${errors.join(' ')}`);
  return out;
}

/** An amount as the Node status writes it: Quantity.String() of millicores (DecimalSI), of bytes (BinarySI, as cadvisor's capacity). */
export function format(k: Reservable, v: bigint): string {
  if (k === 'cpu') return formatQty(qtyFromMilli(v));
  return formatQty(qtyFromInt(v, k === 'memory' || k === 'ephemeral-storage' ? 'BinarySI' : 'DecimalSI'));
}

/** MilliCPUToShares (cgroup v1 cpu.shares): 1024 per core, within [2, 262144]. */
export function milliCpuToShares(milli: bigint): bigint {
  if (milli === 0n) return 2n;
  const shares = (milli * 1024n) / 1000n;
  return shares < 2n ? 2n : shares > 262144n ? 262144n : shares;
}

/** CpuSharesToCpuWeight (cgroup v2 cpu.weight, runc's conversion): [2, 262144] onto [1, 10000]. */
export function sharesToWeight(shares: bigint): bigint {
  return shares === 0n ? 0n : 1n + ((shares - 2n) * 9999n) / 262142n;
}

/** A Node status capacity (cpu "2", memory "4096Ki", ...) as amounts, plus the PID capacity if known. */
export function capacityAmounts(capacity: Readonly<Record<string, string>>, pid?: bigint): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const k of ['cpu', 'memory', 'ephemeral-storage'] as const) {
    const q = parseQty(capacity[k]);
    if (q) out[k] = q.nanos / (k === 'cpu' ? 1_000_000n : 1_000_000_000n);
  }
  if (pid !== undefined) out.pid = pid;
  return out;
}
