import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinPrinter } from './index.ts';
import { formatHpaMetrics } from './autoscaling.ts';

const now = new Date('2024-05-01T12:00:00Z');
const meta = (extra: object = {}) => ({ name: 'x', creationTimestamp: '2024-05-01T11:00:00Z', ...extra });

test('HPA targets as upstream formats them', () => {
  const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } };
  const mem = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } };
  const pods = { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } };
  const ext = { type: 'External', external: { metric: { name: 'q' }, target: { type: 'Value', value: '5' } } };
  assert.equal(formatHpaMetrics([], []), '<none>');
  assert.equal(formatHpaMetrics([cpu], []), 'cpu: <unknown>/80%');
  assert.equal(formatHpaMetrics([cpu], [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 33 } } }]), 'cpu: 33%/80%');
  assert.equal(formatHpaMetrics([mem, pods], []), 'memory: <unknown>/1Gi, <unknown>/10');
  assert.equal(formatHpaMetrics([cpu, pods, ext], []), 'cpu: <unknown>/80%, <unknown>/10 + 1 more...');
});

test('cells of the new printers', () => {
  const cases: [string, string, object, unknown[]][] = [
    ['storage.k8s.io', 'StorageClass', { metadata: meta({ annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }), provisioner: 'p' }, ['x (default)', 'p', 'Delete', 'Immediate', false, '60m']],
    ['discovery.k8s.io', 'EndpointSlice', { metadata: meta(), addressType: 'IPv4', ports: [{ port: 80 }, { name: 'h' }, {}, { port: 1 }], endpoints: [] }, ['x', 'IPv4', '80,h,* + 1 more...', '<unset>', '60m']],
    ['apps', 'ControllerRevision', { metadata: meta({ ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', controller: true }] }), revision: 3 }, ['x', 'daemonset.apps/ds', 3, '60m']],
    ['apiregistration.k8s.io', 'APIService', { metadata: meta(), spec: {}, status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] } }, ['x', 'Local', 'False (MissingEndpoints)', '60m']],
    ['flowcontrol.apiserver.k8s.io', 'PriorityLevelConfiguration', { metadata: meta(), spec: { type: 'Exempt' } }, ['x', 'Exempt', '<none>', '<none>', '<none>', '<none>', '60m']],
    ['networking.k8s.io', 'IPAddress', { metadata: meta(), spec: { parentRef: { group: '', resource: 'services', namespace: 'default', name: 'kubernetes' } } }, ['x', 'services/default/kubernetes']],
    ['', 'ComponentStatus', { metadata: meta(), conditions: [{ type: 'Healthy', status: 'False', error: 'down' }] }, ['x', 'Unhealthy', '', 'down']],
  ];
  for (const [g, k, o, want] of cases) assert.deepEqual(builtinPrinter(g, k).cells(o, now), want, `${g}/${k}`);
});
