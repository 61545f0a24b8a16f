/**
 * Settings of a set of simulated nodes, checked once when the set is built (DESIGN.md habit 6):
 * a bad count, prefix, quantity or interval is a start-up error, never a surprise at run time.
 */
import type { ApiClient, K8sObject } from '../client/types.ts';
import { DurationError, parseDurationMs } from '../../util/duration.ts';
import { defaultUsage, type UsageFn } from './metrics.ts';

export interface SimLog {
  info(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface SimNodesOptions {
  /** The simulator's own identity: the shared pod list+watch, and every write when clientFor is unset. */
  client: ApiClient;
  /**
   * The client a node writes through (its Node, Lease, pods' status, pod deletes), as each real
   * kubelet has its own credentials (system:node:<name>, so the Node authorizer and NodeRestriction
   * apply to every write); unset, all nodes write as `client`.
   */
  clientFor?: (nodeName: string) => ApiClient;
  count: number;
  /** Node names are `<namePrefix><i>`, i from 0 (default "sim-node-"). */
  namePrefix?: string;
  /** Capacity (= allocatable) of every node: cpu, memory, pods, ephemeral-storage, ... */
  capacity?: Record<string, string>;
  /** Lease renewal period (kubelet: 10 s). */
  leaseRenewMs?: number;
  /** leaseDurationSeconds of the Lease (kubelet: 40). */
  leaseDurationSeconds?: number;
  /**
   * NodeStatus heartbeat period: the kubelet's nodeStatusReportFrequency, 5 minutes, how often it
   * posts a status that did not change (node health comes from the Lease renewals).
   */
  statusUpdateMs?: number;
  /** How long a Job's pod runs before it succeeds, unless its annotation says otherwise. */
  jobRunTimeMs?: number;
  /** Pod writes (status, deletes) in flight at most, over all nodes. */
  maxInFlight?: number;
  /**
   * Heartbeat writes (Lease renewals, NodeStatus) in flight at most, over all nodes (default
   * maxInFlight): a pool of their own, as each kubelet's lease controller beats on its own
   * whatever its pods do, so a backlog of pod writes never makes a node's Lease late.
   */
  heartbeatMaxInFlight?: number;
  /** Per-pod resource usage, for metrics.k8s.io later. */
  usage?: UsageFn;
  now?: () => number;
  log?: SimLog;
}

export interface SimConfig {
  client: ApiClient;
  clientFor: (nodeName: string) => ApiClient;
  count: number;
  namePrefix: string;
  capacity: Readonly<Record<string, string>>;
  leaseRenewMs: number;
  leaseDurationSeconds: number;
  statusUpdateMs: number;
  jobRunTimeMs: number;
  maxInFlight: number;
  heartbeatMaxInFlight: number;
  usage: UsageFn;
  now: () => number;
  log: SimLog;
}

/** The pod annotation that sets a Job pod's run time (Go duration, e.g. "30s"). */
export const RUN_TIME_ANNOTATION = 'sim.portcullis.dev/run-time';

export const DEFAULT_CAPACITY: Readonly<Record<string, string>> = Object.freeze({ cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' });

/** The pod CIDRs are 10.<i/256>.<i%256>.0/24, so at most 65,536 nodes in one set. */
export const MAX_NODES = 65_536;

// Kubernetes resource.Quantity, as the API server accepts it.
const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i|[mkMGTPE])?$/;
// A node name is a DNS subdomain; the prefix is followed by digits, so it may end in '-' or '.'.
const PREFIX = /^[a-z0-9]([-a-z0-9.]*)?$/;

const silent: SimLog = { info() {}, error() {} };

export function buildConfig(o: SimNodesOptions): SimConfig {
  const fail = (msg: string): never => {
    throw new Error(`simulated nodes: ${msg}`);
  };
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_NODES) fail(`count must be an integer from 1 to ${MAX_NODES}, got ${o.count}`);
  const namePrefix = o.namePrefix ?? 'sim-node-';
  if (!PREFIX.test(namePrefix) || namePrefix.length + String(o.count - 1).length > 253) fail(`name prefix ${JSON.stringify(namePrefix)} does not make DNS subdomain names`);
  const capacity = { ...(o.capacity ?? DEFAULT_CAPACITY) };
  for (const [k, v] of Object.entries(capacity)) if (!QUANTITY.test(v)) fail(`capacity ${k}=${JSON.stringify(v)} is not a quantity`);
  const positive = (name: string, v: number | undefined, def: number): number => {
    const x = v ?? def;
    if (!Number.isFinite(x) || x <= 0) fail(`${name} must be positive, got ${x}`);
    return x;
  };
  const jobRunTimeMs = o.jobRunTimeMs ?? 5_000;
  if (!Number.isFinite(jobRunTimeMs) || jobRunTimeMs < 0) fail(`jobRunTimeMs must not be negative, got ${jobRunTimeMs}`);
  return {
    client: o.client,
    clientFor: o.clientFor ?? (() => o.client),
    count: o.count,
    namePrefix,
    capacity: Object.freeze(capacity),
    leaseRenewMs: positive('leaseRenewMs', o.leaseRenewMs, 10_000),
    leaseDurationSeconds: Math.round(positive('leaseDurationSeconds', o.leaseDurationSeconds, 40)),
    statusUpdateMs: positive('statusUpdateMs', o.statusUpdateMs, 300_000),
    jobRunTimeMs,
    maxInFlight: Math.round(positive('maxInFlight', o.maxInFlight, 32)),
    heartbeatMaxInFlight: Math.round(positive('heartbeatMaxInFlight', o.heartbeatMaxInFlight, o.maxInFlight ?? 32)),
    usage: o.usage ?? defaultUsage,
    now: o.now ?? Date.now,
    log: o.log ?? silent,
  };
}

/** A Job pod's run time: its annotation if it holds a valid duration, else the configured one. */
export function jobRunTimeOf(pod: K8sObject, def: number): number {
  const v = pod.metadata.annotations?.[RUN_TIME_ANNOTATION];
  if (typeof v !== 'string') return def;
  try {
    const ms = parseDurationMs(v);
    return ms >= 0 ? ms : def;
  } catch (err) {
    if (err instanceof DurationError) return def;
    throw err;
  }
}
