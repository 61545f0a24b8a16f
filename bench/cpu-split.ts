/**
 * Where the CPU of one operation goes (issue 18's speed goal): the API server's, etcd's and the
 * load client's CPU per create, or etcd's and its client's per raw put, from each process's CPU
 * over one measured window; and what the API server could spend per create for creates to reach
 * a share of raw puts' rate on a machine whose cores the three share. On a shared machine rates
 * move with the other work; CPU per operation does much less, so the projections below are from
 * CPU per operation, not from the rates measured.
 */
import { readFileSync } from 'node:fs';
import { round } from './stats.ts';

/** A process's user + system CPU in microseconds (/proc/PID/stat utime and stime, 10 ms ticks). */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** This process's user + system CPU in microseconds (process.cpuUsage: finer than /proc's ticks). */
export function ownCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU readings of one process at the edges of a window: mark() at the start and at the end. */
export class CpuMeter {
  private readonly read: () => number;
  private first: { t: number; cpu: number } | undefined;
  private last: { t: number; cpu: number } | undefined;
  constructor(read: () => number) {
    this.read = read;
  }
  mark(): void {
    const m = { t: performance.now(), cpu: this.read() };
    if (!this.first) this.first = m;
    else this.last = m;
  }
  /** The process's CPU between the first and the last mark as % of one core; null before two marks. */
  pctOfCore(): number | null {
    return this.first && this.last ? pctOfCore(this.last.cpu - this.first.cpu, this.last.t - this.first.t) : null;
  }
}

/** CPU microseconds used over a window of wall milliseconds, as % of one core. */
export function pctOfCore(cpuMicros: number, windowMs: number): number | null {
  return windowMs > 0 && Number.isFinite(cpuMicros) ? round((cpuMicros / 1000 / windowMs) * 100, 1) : null;
}

/** CPU microseconds per operation of each process, their sum, and how many cores the window kept busy. */
export interface CpuPerOp {
  serverUs: number | null;
  etcdUs: number | null;
  clientUs: number | null;
  /** The parts that were measured, summed. */
  totalUs: number | null;
  /** Cores the measured processes kept busy together (the machine has 2; other sessions use some). */
  coresBusy: number | null;
}

/** From each process's CPU over the window (% of one core; null: not part of this phase) and the operations per second. */
export function cpuPerOp(opsPerSec: number, pct: { server?: number | null; etcd?: number | null; client?: number | null }): CpuPerOp {
  const per = (p: number | null | undefined) => (p === null || p === undefined || !(opsPerSec > 0) ? null : round((p * 10_000) / opsPerSec, 0));
  const parts = [pct.server, pct.etcd, pct.client].filter((p): p is number => typeof p === 'number');
  const serverUs = per(pct.server);
  const etcdUs = per(pct.etcd);
  const clientUs = per(pct.client);
  const measured = [serverUs, etcdUs, clientUs].filter((p): p is number => p !== null);
  return {
    serverUs,
    etcdUs,
    clientUs,
    totalUs: measured.length ? measured.reduce((a, b) => a + b, 0) : null,
    coresBusy: parts.length ? round(parts.reduce((a, b) => a + b, 0) / 100, 2) : null,
  };
}

/** Operations per second the machine's cores could carry at this CPU per operation, were it all theirs. */
export function cpuBoundRate(cores: number, totalUsPerOp: number | null): number | null {
  return totalUsPerOp && totalUsPerOp > 0 ? round((cores * 1e6) / totalUsPerOp, 0) : null;
}

export interface ServerBudget {
  goalRatio: number;
  cores: number;
  /** Creates per second the goal asks for: goalRatio x the raw puts measured. */
  createsPerSecNeeded: number;
  /** CPU a create may take in all, the machine's cores divided by that rate. */
  totalUsPerCreate: number;
  /** What is left of it for the API server once etcd's and the load client's measured shares are paid. */
  serverUsPerCreate: number;
  /** The same with the load client on another machine (only etcd shares the cores). */
  serverUsPerCreateClientElsewhere: number;
  /** The API server's CPU per create measured, divided by the budget: how many times it would have to shrink (null when the budget is <= 0). */
  serverCutFactor: number | null;
}

/**
 * What the API server may spend per create for creates to reach `goalRatio` of the raw puts'
 * rate when the API server, etcd and the load client share `cores` and the CPU is the limit (a
 * shared machine: the limit is lower). A budget <= 0 means no API server could do it here.
 */
export function serverBudget(o: { rawPutsPerSec: number; goalRatio: number; cores: number; etcdUsPerCreate: number; clientUsPerCreate: number; serverUsPerCreate: number | null }): ServerBudget {
  const needed = o.goalRatio * o.rawPutsPerSec;
  const total = (o.cores * 1e6) / needed;
  const server = total - o.etcdUsPerCreate - o.clientUsPerCreate;
  return {
    goalRatio: o.goalRatio,
    cores: o.cores,
    createsPerSecNeeded: round(needed, 0),
    totalUsPerCreate: round(total, 0),
    serverUsPerCreate: round(server, 0),
    serverUsPerCreateClientElsewhere: round(total - o.etcdUsPerCreate, 0),
    serverCutFactor: server > 0 && o.serverUsPerCreate !== null ? round(o.serverUsPerCreate / server, 1) : null,
  };
}
