/**
 * The kubelet eviction manager's thresholds (pkg/kubelet/eviction helpers.go): the signals served,
 * ParseThresholdConfig for evictionHard / evictionSoft / evictionSoftGracePeriod in upstream's
 * words, the flag forms, which node condition and resource each signal stands for, thresholdsMet
 * (a threshold is met when what is available is below its value) and the order thresholds are
 * acted on (byEvictionPriority: memory first).
 *
 * Served: memory.available (the node: capacity - working set), allocatableMemory.available (the
 * pods' cgroup against the node's memory less reservations; added beside every hard memory.available threshold, as
 * upstream does with the default --enforce-node-allocatable=pods), the four disk signals and
 * pid.available. containerfs.* are refused rather than accepted and ignored. A minimum reclaim
 * (evictionMinimumReclaim) keeps a met threshold met until that much more is available.
 */
import { formatQty, parseQty, qtyValue, quantityParseError, QUANTITY_FORMAT_ERROR } from '../../../api/quantity.ts';
import { DurationError, parseGoDuration } from '../../../util/duration.ts';

export const SIGNALS = ['memory.available', 'allocatableMemory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'] as const;
export type Signal = (typeof SIGNALS)[number];
export const DISK_SIGNALS = ['nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree'] as const satisfies readonly Signal[];
export type DiskSignal = (typeof DISK_SIGNALS)[number];
export type PressureCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

/** Upstream's Linux DefaultEvictionHard. */
export const DEFAULT_EVICTION_HARD: Readonly<Record<string, string>> = Object.freeze({
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
  'imagefs.inodesFree': '5%',
});

/** evictionPressureTransitionPeriod's default. */
export const DEFAULT_PRESSURE_TRANSITION_MS = 5 * 60_000;

/** A threshold: a fraction of capacity (0 < f < 1) or an amount (bytes, inodes, pids); soft ones have a grace period. */
export interface Threshold {
  signal: Signal;
  fraction?: number;
  quantity?: number;
  /** The amount as Quantity.String() prints it (messages). */
  text?: string;
  /** 0 for a hard threshold. */
  gracePeriodMs: number;
  /** evictionMinimumReclaim for the signal: once met, the threshold holds until this much more is available. */
  minReclaim?: { fraction?: number; quantity?: number };
}

/** signalToNodeCondition. */
export function conditionOf(s: Signal): PressureCondition {
  if (s === 'memory.available' || s === 'allocatableMemory.available') return 'MemoryPressure';
  return s === 'pid.available' ? 'PIDPressure' : 'DiskPressure';
}

/** signalToResource: what a signal starves. */
export function resourceOf(s: Signal): 'memory' | 'ephemeral-storage' | 'inodes' | 'pids' {
  if (conditionOf(s) === 'MemoryPressure') return 'memory';
  if (s === 'pid.available') return 'pids';
  return s.endsWith('inodesFree') ? 'inodes' : 'ephemeral-storage';
}

const isSignal = (s: string): s is Signal => (SIGNALS as readonly string[]).includes(s);
/** parsePercentage: the number before the '%', or (a string) strconv.ParseFloat's error when it is none. */
function percentage(value: string): number | string {
  const pct = Number(value.slice(0, -1));
  return value.length < 2 || !Number.isFinite(pct) ? `strconv.ParseFloat: parsing ${JSON.stringify(value.slice(0, -1))}: invalid syntax` : pct;
}

/** parseThresholdStatement: undefined for 0% and 100% (ignored, as upstream). */
function parseStatement(signal: string, value: string): { threshold?: Omit<Threshold, 'gracePeriodMs'>; error?: string } {
  if (!isSignal(signal)) return { error: `unsupported eviction signal ${signal}` };
  if (value.endsWith('%')) {
    if (value === '0%' || value === '100%') return {};
    const pct = percentage(value);
    if (typeof pct === 'string') return { error: pct };
    if (pct < 0) return { error: `eviction percentage threshold ${signal} must be >= 0%: ${value}` };
    if (pct > 100) return { error: `eviction percentage threshold ${signal} must be <= 100%: ${value}` };
    return { threshold: { signal, fraction: pct / 100 } };
  }
  const q = parseQty(value);
  if (!q) return { error: quantityParseError(value) ?? QUANTITY_FORMAT_ERROR };
  if (q.nanos <= 0n) return { error: `eviction threshold ${signal} must be positive: ${formatQty(q)}` };
  return { threshold: { signal, quantity: Number(qtyValue(q)), text: formatQty(q) } };
}

export interface ThresholdConfig {
  hard?: Readonly<Record<string, string>>;
  soft?: Readonly<Record<string, string>>;
  /** Per soft signal, a Go duration ("1m30s"). */
  softGracePeriod?: Readonly<Record<string, string>>;
  /** Per signal, a quantity or a percentage (evictionMinimumReclaim). */
  minimumReclaim?: Readonly<Record<string, string>>;
}

/** parseMinimumReclaims, in upstream's words. */
function parseMinimumReclaims(spec: Readonly<Record<string, string>>): { reclaims: Map<string, NonNullable<Threshold['minReclaim']>>; error?: string } {
  const reclaims = new Map<string, NonNullable<Threshold['minReclaim']>>();
  for (const [signal, value] of Object.entries(spec)) {
    if (!isSignal(signal)) return { reclaims, error: `unsupported eviction signal ${signal}` };
    if (value.endsWith('%')) {
      const pct = percentage(value);
      if (typeof pct === 'string') return { reclaims, error: pct };
      if (pct <= 0) return { reclaims, error: `eviction percentage minimum reclaim ${signal} must be positive: ${value}` };
      reclaims.set(signal, { fraction: pct / 100 });
      continue;
    }
    const q = parseQty(value);
    if (!q) return { reclaims, error: quantityParseError(value) ?? QUANTITY_FORMAT_ERROR };
    if (q.nanos < 0n) return { reclaims, error: `negative eviction minimum reclaim specified for ${signal}` };
    reclaims.set(signal, { quantity: Number(qtyValue(q)) });
  }
  return { reclaims };
}

/**
 * ParseThresholdConfig: hard thresholds, then soft ones (each needs a grace period), then an
 * allocatableMemory.available copy of each hard memory.available one (enforce-node-allocatable=pods).
 */
export function parseThresholdConfig(c: ThresholdConfig): { thresholds: Threshold[]; error?: string } {
  const out: Threshold[] = [];
  const fail = (error: string) => ({ thresholds: [], error });
  for (const [signal, value] of Object.entries(c.hard ?? {})) {
    const r = parseStatement(signal, value);
    if (r.error) return fail(r.error);
    if (r.threshold) out.push({ ...r.threshold, gracePeriodMs: 0 });
  }
  const grace = new Map<string, number>();
  for (const [signal, value] of Object.entries(c.softGracePeriod ?? {})) {
    if (!isSignal(signal)) return fail(`unsupported eviction signal ${signal}`);
    let ns: bigint;
    try {
      ns = parseGoDuration(value);
    } catch (err) {
      if (err instanceof DurationError) return fail(err.message);
      throw err;
    }
    if (ns < 0n) return fail(`invalid eviction grace period specified: ${value}, must be a positive value`);
    grace.set(signal, Number(ns / 1_000_000n));
  }
  const soft: Threshold[] = [];
  for (const [signal, value] of Object.entries(c.soft ?? {})) {
    const r = parseStatement(signal, value);
    if (r.error) return fail(r.error);
    if (r.threshold) soft.push({ ...r.threshold, gracePeriodMs: -1 });
  }
  for (const t of soft) {
    const g = grace.get(t.signal);
    if (g === undefined) return fail(`grace period must be specified for the soft eviction threshold ${t.signal}`);
    out.push({ ...t, gracePeriodMs: g });
  }
  const { reclaims, error } = parseMinimumReclaims(c.minimumReclaim ?? {});
  if (error) return fail(error);
  for (const t of out) {
    const r = reclaims.get(t.signal);
    if (r) t.minReclaim = r;
  }
  const allocatable = out.filter((t) => t.signal === 'memory.available' && t.gracePeriodMs === 0).map((t) => ({ ...t, signal: 'allocatableMemory.available' as const }));
  return { thresholds: [...out, ...allocatable] };
}

/** evictionHard alone (the config file's map form). */
export const parseEvictionHard = (hard: Readonly<Record<string, string>>) => parseThresholdConfig({ hard });

/**
 * A map flag: --eviction-hard / --eviction-soft are "signal<value,…" (LangleSeparatedMapStringString),
 * --eviction-soft-grace-period "signal=duration,…" (MapStringString).
 */
export function mapFlag(name: string, value: string, sep: '<' | '='): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(',')) {
    if (!pair.trim()) continue;
    const at = pair.indexOf(sep);
    if (at < 0) throw new Error(`invalid --${name}: malformed pair, expect string${sep}string: ${pair}`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

/** The --eviction-hard flag's form as a map; it replaces the defaults. */
export const evictionHardFlag = (value: string) => mapFlag('eviction-hard', value, '<');

/** One signal's observation: what is available of what capacity. */
export interface Observation {
  available: number;
  capacity: number;
}
export type Observations = Partial<Record<Signal, Observation>>;

/** GetThresholdQuantity: a percentage of capacity, truncated. */
export function thresholdQuantity(t: Threshold, capacity: number): number {
  return t.fraction !== undefined ? Math.trunc(capacity * t.fraction) : (t.quantity ?? 0);
}

/**
 * thresholdsMet: the threshold's value is above what is available (a signal without observation, or
 * without capacity, meets none); with enforceMinReclaim the value is raised by the minimum reclaim.
 */
export function thresholdsMet(thresholds: readonly Threshold[], obs: Observations, enforceMinReclaim = false): Threshold[] {
  return thresholds.filter((t) => {
    const o = obs[t.signal];
    if (!o || o.capacity <= 0) return false;
    const extra = enforceMinReclaim && t.minReclaim ? thresholdQuantity({ ...t.minReclaim, signal: t.signal, gracePeriodMs: 0 }, o.capacity) : 0;
    return thresholdQuantity(t, o.capacity) + extra > o.available;
  });
}

/** byEvictionPriority: the memory signals before the others, otherwise as configured. */
export function byEvictionPriority(thresholds: readonly Threshold[]): Threshold[] {
  const memory = (t: Threshold) => (resourceOf(t.signal) === 'memory' ? 0 : 1);
  return [...thresholds].sort((a, b) => memory(a) - memory(b));
}
