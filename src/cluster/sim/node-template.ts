/**
 * The objects a simulated node writes: its Node (labels, addresses, capacity, node info,
 * conditions) and its Lease. Marked twice so nothing mistakes it for a real node: the label
 * portcullis.dev/simulated=true and kwok's annotation kwok.x-k8s.io/node=fake.
 */
import { rfc3339Micro } from '../../api/time.ts';
import type { K8sObject } from '../client/types.ts';

export const SIMULATED_LABEL = 'portcullis.dev/simulated';
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The conditions a healthy kubelet reports, as data (pkg/kubelet/nodestatus/setters.go). */
export const NODE_CONDITIONS: ReadonlyArray<{ type: string; status: 'True' | 'False'; reason: string; message: string }> = Object.freeze([
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
]);

/** metav1.Time: RFC 3339 in whole seconds. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** metav1.MicroTime: RFC 3339 with microseconds (a Lease's renewTime). */
export const microTime = rfc3339Micro;

/** Node i's InternalIP, in 172.16.0.0/12 (fake: nothing listens there). */
export function nodeIP(i: number): string {
  const n = i + 1;
  return `172.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

/** Node i's pod CIDR, 10.<i/256>.<i%256>.0/24. */
export function podCIDR(i: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.0/24`;
}

export interface NodeShape {
  name: string;
  index: number;
  capacity: Readonly<Record<string, string>>;
}

export function nodeObject(n: NodeShape): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'simulated',
        type: 'kwok',
        [SIMULATED_LABEL]: 'true',
      },
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: podCIDR(n.index), podCIDRs: [podCIDR(n.index)] },
    status: nodeStatus(n, 0, 0),
  };
}

/** The whole status; conditions changed `since` (kept across heartbeats), beating `now`. */
export function nodeStatus(n: NodeShape, since: number, now: number): Record<string, unknown> {
  return {
    capacity: { ...n.capacity },
    allocatable: { ...n.capacity },
    conditions: nodeConditions(since, now),
    addresses: [{ type: 'InternalIP', address: nodeIP(n.index) }, { type: 'Hostname', address: n.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: '',
      osImage: 'Portcullis simulated node',
      containerRuntimeVersion: 'sim://portcullis',
      kubeletVersion: 'v1.33.0-sim',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
    phase: 'Running',
  };
}

export function nodeConditions(since: number, now: number): Array<Record<string, string>> {
  return NODE_CONDITIONS.map((c) => ({ ...c, lastHeartbeatTime: rfc3339(now), lastTransitionTime: rfc3339(since) }));
}

/** The node's Lease, owned by the Node so it goes with it (as the kubelet sets it). */
export function leaseObject(node: { name: string; uid?: string }, durationSeconds: number, now: number): K8sObject {
  const lease: K8sObject = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: node.name, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: node.name, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
  if (node.uid) lease.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }];
  return lease;
}
