/**
 * A minimal valid object of each kind added for Kubernetes 1.33's default API set, as a user
 * would write it (test/api/kinds.test.ts creates every built-in resource from its sample).
 * The HorizontalPodAutoscaler sample is valid at both autoscaling/v1 and v2.
 */
const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });

export const OBJECTS_133: Record<string, Record<string, unknown>> = {
  podtemplates: { metadata: { name: 'pt' }, template: template('pt') },
  replicationcontrollers: { metadata: { name: 'rc' }, spec: { replicas: 2, selector: { app: 'rc' }, template: template('rc') } },
  controllerrevisions: { metadata: { name: 'cr' }, data: { spec: { template: {} } }, revision: 1 },
  horizontalpodautoscalers: { metadata: { name: 'hpa' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, minReplicas: 1, maxReplicas: 3 } },
  endpointslices: { metadata: { name: 'es' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  ingressclasses: { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
  servicecidrs: { metadata: { name: 'extra' }, spec: { cidrs: ['10.200.0.0/16'] } },
  ipaddresses: { metadata: { name: '10.200.0.10' }, spec: { parentRef: { group: '', resource: 'services', namespace: 'default', name: 'svc' } } },
  runtimeclasses: { metadata: { name: 'runc' }, handler: 'runc' },
  priorityclasses: { metadata: { name: 'high' }, value: 1000, description: 'important' },
  storageclasses: { metadata: { name: 'standard' }, provisioner: 'kubernetes.io/no-provisioner' },
  csidrivers: { metadata: { name: 'csi.example.com' }, spec: {} },
  csinodes: { metadata: { name: 'node-1' }, spec: { drivers: [{ name: 'csi.example.com', nodeID: 'n1' }] } },
  volumeattachments: { metadata: { name: 'va' }, spec: { attacher: 'csi.example.com', nodeName: 'node-1', source: { persistentVolumeName: 'pv1' } } },
  csistoragecapacities: { metadata: { name: 'cap' }, storageClassName: 'standard', capacity: '10Gi' },
  flowschemas: {
    metadata: { name: 'fs' },
    spec: { priorityLevelConfiguration: { name: 'catch-all' }, matchingPrecedence: 500, rules: [{ subjects: [{ kind: 'User', user: { name: 'alice' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }] },
  },
  prioritylevelconfigurations: {
    metadata: { name: 'plc' },
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: 10, limitResponse: { type: 'Queue', queuing: { queues: 16, handSize: 4, queueLengthLimit: 20 } } } },
  },
  // Keyed "<resource>.<group>": core/v1 Events share the resource name.
  'events.events.k8s.io': {
    metadata: { name: 'ev-v1' },
    eventTime: '2024-05-01T12:00:00.000000Z',
    reportingController: 'example.com/controller',
    reportingInstance: 'controller-1',
    action: 'Test',
    reason: 'Testing',
    type: 'Normal',
    regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
    note: 'hello',
  },
  apiservices: { metadata: { name: 'v1alpha1.example.com' }, spec: { group: 'example.com', version: 'v1alpha1', groupPriorityMinimum: 1000, versionPriority: 15, service: { namespace: 'default', name: 'api' } } },
};
