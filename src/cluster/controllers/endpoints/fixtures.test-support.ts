/** Pods and Services for the tests of the Endpoints, EndpointSlice and disruption controllers. */
import type { K8sObject } from '../../client/types.ts';

export function service(name: string, extra: Record<string, any> = {}): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { team: 'a' } },
    spec: { selector: { app: name }, clusterIP: '10.0.0.10', ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }], ...extra },
  };
}

export function pod(name: string, app: string, ip: string, ready: boolean, extra: { node?: string; owner?: K8sObject; ownerKind?: string } = {}): K8sObject {
  return {
    metadata: {
      name,
      namespace: 'default',
      labels: { app },
      ...(extra.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: extra.ownerKind ?? 'ReplicaSet', name: extra.owner.metadata.name, uid: extra.owner.metadata.uid, controller: true }] } : {}),
    },
    spec: { nodeName: extra.node ?? 'node-1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] }] },
    status: readyStatus(ip, ready),
  };
}

export function readyStatus(ip: string, ready: boolean, at = '2026-01-01T00:00:00Z'): Record<string, any> {
  return { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at }] };
}
