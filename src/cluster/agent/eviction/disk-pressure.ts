/**
 * The kubelet eviction manager's disk signals and the DiskPressure node condition it derives from
 * them (pkg/kubelet/eviction: makeSignalObservations, thresholdsMet, nodeConditions,
 * nodeConditionsObservedSince). Each pass statfs-es the node's file system (nodefs: where pods,
 * their volumes and logs live) and the image file system (imagefs: where images and container
 * layers live; here both are the agent's data directory unless configured apart), observes
 * available bytes and free inodes against capacity, and compares them with the hard thresholds
 * (evictionHard; a threshold is met when what is available is below it). DiskPressure is True
 * while a disk threshold is met and for evictionPressureTransitionPeriod (5 min) after it was
 * last met, so a node at the edge does not flap.
 *
 * Only hard thresholds on the four disk signals are served; memory.available, pid.available, soft
 * thresholds and minimum reclaim are refused at parse time rather than accepted and ignored.
 */
import { parseQuantity } from '../../../api/validation/quantity.ts';

export const DISK_SIGNALS = ['nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree'] as const;
export type DiskSignal = (typeof DISK_SIGNALS)[number];

/** Upstream's Linux defaults (DefaultEvictionHard) for the disk signals. */
export const DEFAULT_EVICTION_HARD: Readonly<Record<DiskSignal, string>> = Object.freeze({
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
  'imagefs.inodesFree': '5%',
});

/** evictionPressureTransitionPeriod's default. */
export const DEFAULT_PRESSURE_TRANSITION_MS = 5 * 60_000;

/** A hard threshold: either a fraction of capacity (0 < f ≤ 1) or an absolute amount (bytes or inodes). */
export interface DiskThreshold {
  signal: DiskSignal;
  fraction?: number;
  quantity?: number;
}

/**
 * ParseThresholdConfig for evictionHard (map form, as the kubelet's config file): unknown signals
 * and bad values are errors in upstream's words; "0%" and "100%" disable the signal, as upstream.
 */
export function parseEvictionHard(spec: Readonly<Record<string, string>>): { thresholds: DiskThreshold[]; error?: string } {
  const thresholds: DiskThreshold[] = [];
  for (const [signal, value] of Object.entries(spec)) {
    if (!(DISK_SIGNALS as readonly string[]).includes(signal)) return { thresholds: [], error: `unsupported eviction signal ${signal}` };
    const s = signal as DiskSignal;
    if (value.endsWith('%')) {
      if (value === '0%' || value === '100%') continue;
      const pct = Number(value.slice(0, -1));
      if (value.length < 2 || !Number.isFinite(pct)) return { thresholds: [], error: `invalid eviction threshold ${s}: ${value}` };
      if (pct < 0) return { thresholds: [], error: `eviction percentage threshold ${s} must be >= 0%: ${value}` };
      if (pct > 100) return { thresholds: [], error: `eviction percentage threshold ${s} must be <= 100%: ${value}` };
      thresholds.push({ signal: s, fraction: pct / 100 });
      continue;
    }
    const q = parseQuantity(value);
    if (!q) return { thresholds: [], error: `invalid eviction threshold ${s}: ${value}` };
    if (q.num <= 0n) return { thresholds: [], error: `eviction threshold ${s} must be positive: ${value}` };
    thresholds.push({ signal: s, quantity: Number((q.num + q.den - 1n) / q.den) });
  }
  return { thresholds };
}

/** The --eviction-hard flag's form, "signal<value,signal<value" (a LangleSeparatedMapStringString), as a map; it replaces the defaults. */
export function evictionHardFlag(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(',')) {
    if (!pair.trim()) continue;
    const at = pair.indexOf('<');
    if (at < 0) throw new Error(`invalid --eviction-hard: malformed pair, expect string<string: ${pair}`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

/** What statfs(2) says about a file system (node:fs statfs's fields the signals need). */
export interface FsStats {
  bsize: number;
  blocks: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** One signal's observation: what is available of what capacity. */
export interface Observation {
  available: number;
  capacity: number;
}

/** makeSignalObservations for the disk signals: available bytes as cadvisor counts them (bavail), free inodes. */
export function observe(nodefs: FsStats, imagefs: FsStats): Record<DiskSignal, Observation> {
  const bytes = (s: FsStats): Observation => ({ available: s.bavail * s.bsize, capacity: s.blocks * s.bsize });
  const inodes = (s: FsStats): Observation => ({ available: s.ffree, capacity: s.files });
  return { 'nodefs.available': bytes(nodefs), 'nodefs.inodesFree': inodes(nodefs), 'imagefs.available': bytes(imagefs), 'imagefs.inodesFree': inodes(imagefs) };
}

/** thresholdsMet: a threshold is met when what is available is below its value (a file system without inode counts meets none). */
export function thresholdsMet(thresholds: readonly DiskThreshold[], obs: Readonly<Record<DiskSignal, Observation>>): DiskThreshold[] {
  return thresholds.filter((t) => {
    const o = obs[t.signal];
    if (o.capacity <= 0) return false;
    const value = t.fraction !== undefined ? Math.ceil(o.capacity * t.fraction) : (t.quantity ?? 0);
    return value > o.available;
  });
}

export interface DiskPressureDeps {
  thresholds: readonly DiskThreshold[];
  /** statfs of the nodefs and imagefs paths (may be the same). */
  statfs(which: 'nodefs' | 'imagefs'): Promise<FsStats>;
  now(): number;
  transitionMs?: number;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

/** The DiskPressure half of the eviction manager's synchronize: observations, thresholds met, the condition. */
export class DiskPressureMonitor {
  readonly #d: DiskPressureDeps;
  #lastObservedAt: number | undefined;
  #met: DiskThreshold[] = [];
  #pressure = false;
  #observations: Record<DiskSignal, Observation> | undefined;

  constructor(d: DiskPressureDeps) {
    this.#d = d;
  }

  /** The node condition: True while a disk threshold is met and for the transition period after. */
  get underPressure(): boolean {
    return this.#pressure;
  }

  /** The hard thresholds met at the last pass (empty when none, or when the last statfs failed and none were before). */
  get thresholdsMet(): readonly DiskThreshold[] {
    return this.#met;
  }

  get observations(): Readonly<Record<DiskSignal, Observation>> | undefined {
    return this.#observations;
  }

  /** One observation; a statfs that fails leaves the state as it was (as upstream skips a pass without stats). */
  async pass(): Promise<boolean> {
    let obs: Record<DiskSignal, Observation>;
    try {
      obs = observe(await this.#d.statfs('nodefs'), await this.#d.statfs('imagefs'));
    } catch (err) {
      this.#d.log.warn({ err: (err as Error).message }, 'eviction manager: failed to get file system stats');
      return this.#pressure;
    }
    const now = this.#d.now();
    this.#observations = obs;
    this.#met = thresholdsMet(this.#d.thresholds, obs);
    if (this.#met.length) this.#lastObservedAt = now;
    const was = this.#pressure;
    this.#pressure = this.#lastObservedAt !== undefined && now - this.#lastObservedAt < (this.#d.transitionMs ?? DEFAULT_PRESSURE_TRANSITION_MS);
    if (was !== this.#pressure) {
      const signals = this.#met.map((t) => t.signal);
      this.#d.log.info({ signals, pressure: this.#pressure }, this.#pressure ? 'eviction manager: node has disk pressure' : 'eviction manager: node has no disk pressure');
    }
    return this.#pressure;
  }
}
