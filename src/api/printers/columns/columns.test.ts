import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinResources } from '../../registry/builtin.ts';
import { builtinPrinter, defaultPrinter, hasOwnPrinter } from './index.ts';

const now = new Date('2024-05-01T12:00:00Z');
const meta = (extra: object = {}) => ({ name: 'x', creationTimestamp: '2024-05-01T09:00:00Z', ...extra });
const tmpl = { spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'log', image: 'busybox' }] } };

const cases: { name: string; group: string; kind: string; obj: object; want: unknown[]; columns?: string[] }[] = [
  {
    name: 'deployment',
    group: 'apps',
    kind: 'Deployment',
    obj: { metadata: meta(), spec: { replicas: 3, selector: { matchLabels: { app: 'web', tier: 'fe' } }, template: tmpl }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } },
    want: ['x', '2/3', 3, 2, '3h', 'web,log', 'nginx:1,busybox', 'app=web,tier=fe'],
    columns: ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*'],
  },
  {
    name: 'replicaset',
    group: 'apps',
    kind: 'ReplicaSet',
    obj: { metadata: meta(), spec: { replicas: 2, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['b', 'a'] }] }, template: tmpl }, status: { replicas: 2, readyReplicas: 1 } },
    want: ['x', 2, 2, 1, '3h', 'web,log', 'nginx:1,busybox', 'app in (a,b)'],
    columns: ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*'],
  },
  {
    name: 'statefulset',
    group: 'apps',
    kind: 'StatefulSet',
    obj: { metadata: meta(), spec: { replicas: 3, template: tmpl }, status: { readyReplicas: 3 } },
    want: ['x', '3/3', '3h', 'web,log', 'nginx:1,busybox'],
  },
  {
    name: 'daemonset',
    group: 'apps',
    kind: 'DaemonSet',
    obj: { metadata: meta(), spec: { selector: { matchLabels: { app: 'ds' } }, template: { spec: { ...tmpl.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } }, status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 } },
    want: ['x', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '3h', 'web,log', 'nginx:1,busybox', 'app=ds'],
  },
  {
    name: 'service ClusterIP',
    group: '',
    kind: 'Service',
    obj: { metadata: meta(), spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { k8s: 'dns' } } },
    want: ['x', 'ClusterIP', '10.96.0.10', '<none>', '53/UDP,53/TCP', '3h', 'k8s=dns'],
    columns: ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*'],
  },
  {
    name: 'service NodePort',
    group: '',
    kind: 'Service',
    obj: { metadata: meta(), spec: { type: 'NodePort', clusterIPs: ['10.96.1.1'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } },
    want: ['x', 'NodePort', '10.96.1.1', '<none>', '80:30080/TCP', '3h', '<none>'],
  },
  {
    name: 'service LoadBalancer pending, headless, ExternalName',
    group: '',
    kind: 'Service',
    obj: { metadata: meta(), spec: { type: 'LoadBalancer', clusterIPs: ['10.96.1.2'], ports: [] } },
    want: ['x', 'LoadBalancer', '10.96.1.2', '<pending>', '<none>', '3h', '<none>'],
  },
  {
    name: 'service LoadBalancer with ingress and external IPs',
    group: '',
    kind: 'Service',
    obj: { metadata: meta(), spec: { type: 'LoadBalancer', clusterIPs: ['10.96.1.2'], externalIPs: ['1.1.1.1'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }, status: { loadBalancer: { ingress: [{ ip: '2.2.2.2' }, { hostname: 'lb.example' }] } } },
    want: ['x', 'LoadBalancer', '10.96.1.2', '2.2.2.2,lb.example,1.1.1.1', '443:31443/TCP', '3h', '<none>'],
  },
  {
    name: 'service ExternalName',
    group: '',
    kind: 'Service',
    obj: { metadata: meta(), spec: { type: 'ExternalName', externalName: 'db.example.com' } },
    want: ['x', 'ExternalName', '<none>', 'db.example.com', '<none>', '3h', '<none>'],
  },
  {
    name: 'node ready, cordoned, roles',
    group: '',
    kind: 'Node',
    obj: {
      metadata: meta({ labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'master', 'node-role.kubernetes.io/': 'x' } }),
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '192.168.1.2' }], nodeInfo: { kubeletVersion: 'v1.33.0', osImage: 'Debian', kernelVersion: '6.1', containerRuntimeVersion: 'runc://1.1' } },
    },
    want: ['x', 'Ready,SchedulingDisabled', 'control-plane,master', '3h', 'v1.33.0', '192.168.1.2', '<none>', 'Debian', '6.1', 'runc://1.1'],
    columns: ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*'],
  },
  {
    name: 'node without conditions',
    group: '',
    kind: 'Node',
    obj: { metadata: meta(), status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } },
    want: ['x', 'NotReady', '<none>', '3h', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
  },
  {
    name: 'event (core v1)',
    group: '',
    kind: 'Event',
    obj: {
      metadata: meta({ name: 'web.17' }),
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container\n',
      type: 'Warning',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2024-05-01T11:00:00Z',
      lastTimestamp: '2024-05-01T11:58:00Z',
      count: 12,
    },
    want: ['2m', 'Warning', 'BackOff', 'pod/web', 'spec.containers{web}', 'kubelet, n1', 'Back-off restarting failed container', '60m', 12, 'web.17'],
    columns: ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*'],
  },
  {
    name: 'event of the new API (eventTime, series, reporting controller)',
    group: '',
    kind: 'Event',
    obj: { metadata: meta({ name: 'e' }), involvedObject: { kind: 'Node' }, reason: 'Starting', type: 'Normal', eventTime: '2024-05-01T11:50:00.000000Z', series: { count: 3, lastObservedTime: '2024-05-01T11:59:00.000000Z' }, reportingComponent: 'kube-proxy', reportingInstance: 'n1' },
    want: ['60s', 'Normal', 'Starting', 'node', '', 'kube-proxy, n1', '', '10m', 3, 'e'],
  },
  {
    name: 'job running',
    group: 'batch',
    kind: 'Job',
    obj: { metadata: meta(), spec: { completions: 3, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: tmpl }, status: { succeeded: 1, startTime: '2024-05-01T11:55:00Z' } },
    want: ['x', 'Running', '1/3', '5m', '3h', 'web,log', 'nginx:1,busybox', 'batch.kubernetes.io/controller-uid=u'],
    columns: ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*'],
  },
  {
    name: 'job complete',
    group: 'batch',
    kind: 'Job',
    obj: { metadata: meta(), spec: { parallelism: 2, template: tmpl }, status: { succeeded: 1, startTime: '2024-05-01T10:00:00Z', completionTime: '2024-05-01T10:00:42Z', conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] } },
    want: ['x', 'Complete', '1/1 of 2', '42s', '3h', 'web,log', 'nginx:1,busybox', '<none>'],
  },
  {
    name: 'job not started, suspended',
    group: 'batch',
    kind: 'Job',
    obj: { metadata: meta(), spec: { template: tmpl }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } },
    want: ['x', 'Suspended', '0/1', '', '3h', 'web,log', 'nginx:1,busybox', '<none>'],
  },
  {
    name: 'cronjob',
    group: 'batch',
    kind: 'CronJob',
    obj: { metadata: meta(), spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: tmpl } } }, status: { active: [{ name: 'j' }], lastScheduleTime: '2024-05-01T11:55:00Z' } },
    want: ['x', '*/5 * * * *', '<none>', 'False', 1, '5m', '3h', 'web,log', 'nginx:1,busybox', '<none>'],
  },
  { name: 'namespace', group: '', kind: 'Namespace', obj: { metadata: meta(), status: { phase: 'Active' } }, want: ['x', 'Active', '3h'] },
  { name: 'configmap counts data and binaryData', group: '', kind: 'ConfigMap', obj: { metadata: meta(), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, want: ['x', 3, '3h'] },
  { name: 'secret', group: '', kind: 'Secret', obj: { metadata: meta(), type: 'kubernetes.io/tls', data: { 'tls.crt': 'a', 'tls.key': 'b' } }, want: ['x', 'kubernetes.io/tls', 2, '3h'], columns: ['Name', 'Type', 'Data', 'Age'] },
  { name: 'secret without data', group: '', kind: 'Secret', obj: { metadata: meta(), type: 'Opaque' }, want: ['x', 'Opaque', 0, '3h'] },
  { name: 'serviceaccount', group: '', kind: 'ServiceAccount', obj: { metadata: meta() }, want: ['x', 0, '3h'] },
  {
    name: 'endpoints',
    group: '',
    kind: 'Endpoints',
    obj: { metadata: meta(), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: 'fd00::3' }, { ip: '10.0.0.4' }], ports: [{ port: 80 }] }] },
    want: ['x', '10.0.0.1:80,10.0.0.2:80,[fd00::3]:80 + 1 more...', '3h'],
  },
  {
    name: 'resourcequota',
    group: '',
    kind: 'ResourceQuota',
    obj: { metadata: meta(), status: { hard: { pods: '10', 'requests.cpu': '1', 'limits.memory': '1Gi' }, used: { pods: '2', 'requests.cpu': '500m' } } },
    want: ['x', 'pods: 2/10, requests.cpu: 500m/1', 'limits.memory: 0/1Gi', '3h'],
  },
  {
    name: 'persistentvolume',
    group: '',
    kind: 'PersistentVolume',
    obj: { metadata: meta(), spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'ns', name: 'data' }, storageClassName: 'fast', volumeMode: 'Filesystem' }, status: { phase: 'Bound' } },
    want: ['x', '5Gi', 'RWO,RWX', 'Retain', 'Bound', 'ns/data', 'fast', '<unset>', '', '3h', 'Filesystem'],
  },
  {
    name: 'persistentvolumeclaim pending',
    group: '',
    kind: 'PersistentVolumeClaim',
    obj: { metadata: meta(), spec: { resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' }, status: { phase: 'Pending' } },
    want: ['x', 'Pending', '', '', '', 'fast', '<unset>', '3h', '<unset>'],
  },
  {
    name: 'persistentvolumeclaim bound and terminating',
    group: '',
    kind: 'PersistentVolumeClaim',
    obj: { metadata: meta({ deletionTimestamp: '2024-05-01T11:00:00Z', annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' } }), spec: { volumeName: 'pv1', storageClassName: 'fast', volumeMode: 'Block' }, status: { phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOncePod'] } },
    want: ['x', 'Terminating', 'pv1', '2Gi', 'RWOP', 'old', '<unset>', '3h', 'Block'],
  },
  { name: 'networkpolicy', group: 'networking.k8s.io', kind: 'NetworkPolicy', obj: { metadata: meta(), spec: { podSelector: {} } }, want: ['x', '<none>', '3h'] },
  {
    name: 'ingress',
    group: 'networking.k8s.io',
    kind: 'Ingress',
    obj: { metadata: meta(), spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example' }, {}, { host: 'b.example' }, { host: 'c.example' }, { host: 'd.example' }], tls: [{}] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } },
    want: ['x', 'nginx', 'a.example,b.example,c.example + 2 more...', '1.2.3.4', '80, 443', '3h'],
  },
  {
    name: 'rolebinding',
    group: 'rbac.authorization.k8s.io',
    kind: 'RoleBinding',
    obj: { metadata: meta(), roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', namespace: 'ci', name: 'bot' }, { kind: 'User', name: 'bob' }] },
    want: ['x', 'ClusterRole/view', '3h', 'alice, bob', 'devs', 'ci/bot'],
    columns: ['Name', 'Role', 'Age', 'Users*', 'Groups*', 'ServiceAccounts*'],
  },
  { name: 'pdb', group: 'policy', kind: 'PodDisruptionBudget', obj: { metadata: meta(), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }, want: ['x', '50%', 'N/A', 1, '3h'] },
  { name: 'lease', group: 'coordination.k8s.io', kind: 'Lease', obj: { metadata: meta(), spec: { holderIdentity: 'cm-1' } }, want: ['x', 'cm-1', '3h'] },
  { name: 'validating webhook configuration', group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', obj: { metadata: meta(), webhooks: [{}, {}] }, want: ['x', 2, '3h'] },
  {
    name: 'validating admission policy',
    group: 'admissionregistration.k8s.io',
    kind: 'ValidatingAdmissionPolicy',
    obj: { metadata: meta(), spec: { validations: [{ expression: 'true' }], paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } } },
    want: ['x', 1, 'v1/ConfigMap', '3h'],
  },
  {
    name: 'validating admission policy binding',
    group: 'admissionregistration.k8s.io',
    kind: 'ValidatingAdmissionPolicyBinding',
    obj: { metadata: meta(), spec: { policyName: 'p', paramRef: { name: 'cfg' } } },
    want: ['x', 'p', '*/cfg', '3h'],
  },
  {
    name: 'certificate signing request',
    group: 'certificates.k8s.io',
    kind: 'CertificateSigningRequest',
    obj: { metadata: meta(), spec: { signerName: 'kubernetes.io/kube-apiserver-client', username: 'alice', expirationSeconds: 86400 }, status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' } },
    want: ['x', '3h', 'kubernetes.io/kube-apiserver-client', 'alice', '24h', 'Approved,Issued'],
  },
  { name: 'roles use the default convertor', group: 'rbac.authorization.k8s.io', kind: 'Role', obj: { metadata: meta({ creationTimestamp: '2024-05-01T09:00:00.5Z' }) }, want: ['x', '2024-05-01T09:00:00Z'], columns: ['Name', 'Created At'] },
];

for (const c of cases) {
  test(`cells: ${c.name}`, () => {
    const p = builtinPrinter(c.group, c.kind);
    const cells = p.cells(c.obj, now);
    assert.deepEqual(cells, c.want);
    assert.equal(cells.length, p.columns.length, 'one cell per column');
    if (c.columns) assert.deepEqual(p.columns.map((col) => col.name + (col.priority > 0 ? '*' : '')), c.columns);
  });
}

test('every built-in kind served has a printer with a description for each column', () => {
  for (const def of builtinResources()) {
    const p = builtinPrinter(def.group, def.kind);
    assert.ok(p.columns.length >= 2, def.kind);
    for (const col of p.columns) assert.ok(col.description.length > 0, `${def.kind} ${col.name}`);
    assert.equal(p.cells({ metadata: { name: 'n' } }, now).length, p.columns.length, `${def.kind}: cells of an empty object`);
  }
  // Kinds without an upstream printer print Name and Created At.
  for (const [g, k] of [['rbac.authorization.k8s.io', 'ClusterRole'], ['', 'LimitRange'], ['apiextensions.k8s.io', 'CustomResourceDefinition']] as const) {
    assert.equal(hasOwnPrinter(g, k), false);
    assert.equal(builtinPrinter(g, k), defaultPrinter);
  }
});
