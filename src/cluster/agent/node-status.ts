/**
 * The agent's Node, as the kubelet registers and reports it: created with its labels
 * (kubernetes.io/hostname, os, arch), then its whole status (capacity, allocatable, conditions
 * with upstream's reasons and messages, addresses, daemon endpoint, node info) through
 * nodes/status, a lastHeartbeatTime every status period; the Lease in kube-node-lease renewed by
 * the same code simulated nodes use. A Node of that name that exists already is adopted (the
 * kubelet does the same after a restart or a re-join); one marked simulated is refused.
 *
 * spec.podCIDR is not set here: the node-ipam-controller assigns it (portcullis up runs it).
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';
import { SIMULATED_LABEL, nodeConditions, rfc3339 } from '../sim/node-template.ts';
import type { HostInfo } from './host-info.ts';

/** The kubelet's default port (--port). */
export const KUBELET_PORT = 10250;

export interface AgentNode {
  name: string;
  uid?: string;
  hasLease: boolean;
  /** When the conditions last changed (registration). */
  since: number;
  /** When each condition last changed after registration (upstream's setters keep one time per condition). */
  transitions?: Record<string, number>;
  /** When the status was last posted. */
  lastReport?: number;
}

/** What the Node is created with beside the defaults (--node-labels, --register-with-taints); a Node that exists already keeps its own, as the kubelet's. */
export interface NodeRegistration {
  labels?: Readonly<Record<string, string>>;
  taints?: readonly Taint[];
}

export function agentNodeObject(name: string, host: HostInfo, reg: NodeRegistration = {}): K8sObject {
  const arch = host.nodeInfo.architecture ?? 'amd64';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      // initialNode: the --node-labels after the defaults, over them where they name the same key.
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch, 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': arch, ...reg.labels },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: reg.taints?.length ? { taints: reg.taints.map((t) => ({ ...t })) } : {},
  };
}

/** The node conditions the eviction manager sets (eviction/pressure-monitor.ts). */
export interface NodePressure {
  disk: boolean;
  memory?: boolean;
  pid?: boolean;
}

/**
 * setters.go's MemoryPressureCondition, DiskPressureCondition and PIDPressureCondition: True, with
 * their reason and message, while the eviction manager says so; and the Normal event
 * recordNodeStatusEvent sends when each flips.
 */
const PRESSURE = [
  { type: 'MemoryPressure', key: 'memory', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available', on: 'NodeHasInsufficientMemory', off: 'NodeHasSufficientMemory' },
  { type: 'DiskPressure', key: 'disk', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure', on: 'NodeHasDiskPressure', off: 'NodeHasNoDiskPressure' },
  { type: 'PIDPressure', key: 'pid', reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available', on: 'NodeHasInsufficientPID', off: 'NodeHasSufficientPID' },
] as const;

function conditions(since: number, now: number, pressure: NodePressure, transitions: Readonly<Record<string, number>>): Array<Record<string, string>> {
  return nodeConditions(since, now).map((c) => {
    const at = transitions[c.type ?? ''];
    const out = at === undefined ? c : { ...c, lastTransitionTime: rfc3339(at) };
    const p = PRESSURE.find((x) => x.type === c.type);
    if (p && pressure[p.key]) return { ...out, status: 'True', reason: p.reason, message: p.message };
    return out;
  });
}

export function agentNodeStatus(name: string, host: HostInfo, since: number, now: number, pressure: NodePressure = { disk: false }, transitions: Readonly<Record<string, number>> = {}): Record<string, unknown> {
  return {
    capacity: { ...host.capacity },
    allocatable: { ...host.allocatable },
    conditions: conditions(since, now, pressure, transitions),
    addresses: [{ type: 'InternalIP', address: host.internalIP }, { type: 'Hostname', address: name }],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: { ...host.nodeInfo },
    // What the runtime does, as the kubelet reports its CRI's: the default handler and runc (the one
    // RuntimeClass handler served, runtime-class.ts), no user namespaces (hostUsers: false pods are
    // refused), supplementalGroupsPolicy Strict honoured.
    runtimeHandlers: ['', 'runc'].map((name) => ({ name, features: { recursiveReadOnlyMounts: false, userNamespaces: false } })),
    features: { supplementalGroupsPolicy: true },
  };
}

/** Creates or adopts the Node, then writes its status. */
export async function registerAgentNode(client: ApiClient, n: AgentNode, host: HostInfo, now: number, reg?: NodeRegistration): Promise<void> {
  let node: K8sObject;
  try {
    node = await client.create(resources.nodes, '', agentNodeObject(n.name, host, reg));
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    node = await client.get(resources.nodes, '', n.name);
    if (node.metadata.labels?.[SIMULATED_LABEL] === 'true') throw new Error(`node ${n.name} exists and is a simulated node: refusing to take it over`);
  }
  n.uid = node.metadata.uid;
  n.since = now;
  n.transitions = {};
  await writeAgentNodeStatus(client, n, host, now);
}

export async function writeAgentNodeStatus(client: ApiClient, n: AgentNode, host: HostInfo, now: number, pressure?: NodePressure): Promise<void> {
  await client.patch(resources.nodes, '', n.name, 'merge', { status: agentNodeStatus(n.name, host, n.since, now, pressure, n.transitions) }, 'status');
  n.lastReport = now;
}

/**
 * The kubelet's status loop (every nodeStatusUpdateFrequency, 10 s): the status is posted when
 * what the API holds differs from what the node would report (a condition another component
 * changed, e.g. the node lifecycle controller's Ready=Unknown), or when the report period has
 * passed since the last post; otherwise nothing is written and the Lease alone is the heartbeat.
 */
export async function syncAgentNodeStatus(client: ApiClient, n: AgentNode, host: HostInfo, now: number, reportMs: number, pressure?: NodePressure, record?: (reason: string, message: string) => void): Promise<boolean> {
  const node = await client.get<K8sObject>(resources.nodes, '', n.name);
  const held = new Map(((node.status?.conditions ?? []) as Array<{ type: string; status: string }>).map((c) => [c.type, c.status]));
  const want = agentNodeStatus(n.name, host, n.since, now, pressure).conditions as Array<{ type: string; status: string }>;
  const changed = want.filter((c) => held.get(c.type) !== c.status);
  if (!changed.length && n.lastReport !== undefined && now - n.lastReport < reportMs) return false;
  // A condition whose status changes gets a new lastTransitionTime; the others keep theirs.
  if (changed.length) n.transitions = { ...n.transitions, ...Object.fromEntries(changed.map((c) => [c.type, now])) };
  await writeAgentNodeStatus(client, n, host, now, pressure);
  // recordNodeStatusEvent: a Normal event on the Node when a pressure condition flips.
  for (const p of PRESSURE) {
    const c = changed.find((x) => x.type === p.type);
    if (!c || !held.has(p.type)) continue;
    const reason = c.status === 'True' ? p.on : p.off;
    record?.(reason, `Node ${n.name} status is now: ${reason}`);
  }
  return true;
}
