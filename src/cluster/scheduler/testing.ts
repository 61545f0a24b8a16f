/** Builders for scheduler tests, in the manner of upstream's scheduler/testing MakeNode/MakePod. */
import type { Node, Pod } from './resources.ts';

export function makeNode(name: string, o: { cpu?: string; memory?: string; pods?: string; extra?: Record<string, string>; labels?: Record<string, string>; taints?: Array<{ key: string; value?: string; effect: string }>; unschedulable?: boolean } = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra } },
  };
}

export function makePod(name: string, o: { ns?: string; cpu?: string; memory?: string; requests?: Record<string, string>; node?: string; labels?: Record<string, string>; spec?: Record<string, unknown>; priority?: number; uid?: string } = {}): Pod {
  const requests: Record<string, string> = { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}), ...o.requests };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', uid: o.uid ?? `uid-${name}`, labels: o.labels ?? {} },
    spec: {
      containers: [{ name: 'c', image: 'i', ...(Object.keys(requests).length ? { resources: { requests } } : {}) }],
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...o.spec,
    },
    status: {},
  };
}
