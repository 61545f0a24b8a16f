/**
 * The resources of Kubernetes 1.33's default API groups added to the built-in set: each is
 * created, read and listed from a valid sample, rejects one invalid object with upstream's
 * message, and prints upstream's Table columns (what `kubectl get` shows).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../../src/api/registry/builtin.ts';
import { clusterPerFile } from '../helpers/cluster.ts';
import { OBJECTS_133 } from './kinds-133-objects.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';

const c = clusterPerFile();

const TABLE = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
const defs = builtinResources();
const defOf = (resource: string, version?: string) => defs.find((d) => d.resource === resource && (!version || d.version === version))!;
const gv = (d: { group: string; version: string }) => (d.group ? `${d.group}/${d.version}` : d.version);
const base = (d: { group: string; version: string; resource: string; namespaced: boolean }, ns = 'default') =>
  `${d.group ? `/apis/${d.group}` : '/api'}/${d.version}${d.namespaced ? `/namespaces/${ns}` : ''}/${d.resource}`;

/** Upstream's column names (pkg/printers/internalversion/printers.go, kube-aggregator's APIService table). */
const COLUMNS: Record<string, string[]> = {
  podtemplates: ['Name', 'Containers', 'Images', 'Pod Labels'],
  replicationcontrollers: ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector'],
  controllerrevisions: ['Name', 'Controller', 'Revision', 'Age'],
  horizontalpodautoscalers: ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age'],
  endpointslices: ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age'],
  ingressclasses: ['Name', 'Controller', 'Parameters', 'Age'],
  servicecidrs: ['Name', 'CIDRs', 'Age'],
  ipaddresses: ['Name', 'ParentRef'],
  runtimeclasses: ['Name', 'Handler', 'Age'],
  priorityclasses: ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy'],
  storageclasses: ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age'],
  csidrivers: ['Name', 'AttachRequired', 'PodInfoOnMount', 'StorageCapacity', 'TokenRequests', 'RequiresRepublish', 'Modes', 'Age'],
  csinodes: ['Name', 'Drivers', 'Age'],
  volumeattachments: ['Name', 'Attacher', 'PV', 'Node', 'Attached', 'Age'],
  csistoragecapacities: ['Name', 'StorageClassName', 'Capacity'],
  flowschemas: ['Name', 'PriorityLevel', 'MatchingPrecedence', 'DistinguisherMethod', 'Age', 'MissingPL'],
  prioritylevelconfigurations: ['Name', 'Type', 'NominalConcurrencyShares', 'Queues', 'HandSize', 'QueueLengthLimit', 'Age'],
  apiservices: ['Name', 'Service', 'Available', 'Age'],
  'events.events.k8s.io': ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name'],
};

/** One invalid object per resource and the field error upstream reports for it. */
const INVALID: Record<string, [Record<string, unknown>, string]> = {
  podtemplates: [{ metadata: { name: 'bad' }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] } } }, 'template.spec.containers: Required value'],
  replicationcontrollers: [
    { metadata: { name: 'bad' }, spec: { selector: { app: 'x' }, template: { metadata: { labels: { app: 'y' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } },
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`',
  ],
  controllerrevisions: [{ metadata: { name: 'bad' }, revision: 1 }, 'data: Required value: data is mandatory'],
  horizontalpodautoscalers: [{ metadata: { name: 'bad' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 0 } }, 'spec.maxReplicas: Invalid value: 0: must be greater than 0'],
  endpointslices: [{ metadata: { name: 'bad' }, addressType: 'IPv5', endpoints: [] }, 'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"'],
  ingressclasses: [{ metadata: { name: 'bad' }, spec: { controller: 'nginx' } }, 'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")'],
  servicecidrs: [{ metadata: { name: 'bad' }, spec: { cidrs: [] } }, 'spec.cidrs: Required value: at least one CIDR required'],
  ipaddresses: [{ metadata: { name: '2001:DB8::1' }, spec: { parentRef: { resource: 'services', name: 's' } } }, 'metadata.name: Invalid value: "2001:DB8::1": must be a canonical format IP address'],
  runtimeclasses: [{ metadata: { name: 'bad' }, handler: 'Bad_Handler' }, 'handler: Invalid value: "Bad_Handler": a lowercase RFC 1123 label must consist of'],
  priorityclasses: [
    { metadata: { name: 'system-mine' }, value: 1000 },
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
  ],
  storageclasses: [{ metadata: { name: 'bad' }, provisioner: 'example.com/p', reclaimPolicy: 'Recycle' }, 'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
  csidrivers: [{ metadata: { name: 'bad.example.com' }, spec: { volumeLifecycleModes: ['Bogus'] } }, 'Unsupported value: "Bogus": supported values: "Ephemeral", "Persistent"'],
  csinodes: [
    { metadata: { name: 'bad' }, spec: { drivers: [{ name: 'd.example.com', nodeID: 'a' }, { name: 'd.example.com', nodeID: 'b' }] } },
    'spec.drivers[1].name: Duplicate value: "d.example.com"',
  ],
  volumeattachments: [{ metadata: { name: 'bad' }, spec: { attacher: 'csi.example.com', nodeName: 'n', source: {} } }, 'spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName'],
  csistoragecapacities: [{ metadata: { name: 'bad' }, capacity: '1Gi' }, 'storageClassName: Required value'],
  flowschemas: [
    { metadata: { name: 'bad' }, spec: { matchingPrecedence: 1, priorityLevelConfiguration: { name: 'catch-all' } } },
    "spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1",
  ],
  prioritylevelconfigurations: [
    { metadata: { name: 'bad' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Queue', queuing: { queues: 16, handSize: 20, queueLengthLimit: 5 } } } } },
    'spec.limited.limitResponse.queuing.handSize: Invalid value: 20: should not be greater than queues (16)',
  ],
  'events.events.k8s.io': [
    { metadata: { name: 'bad' }, reportingController: 'c', reportingInstance: 'i', action: 'A', reason: 'R', type: 'Normal', regarding: { kind: 'Pod', name: 'p', namespace: 'default' } },
    'eventTime: Required value',
  ],
  apiservices: [
    { metadata: { name: 'v1.wrong' }, spec: { group: 'example.com', version: 'v1alpha1', groupPriorityMinimum: 1000, versionPriority: 15 } },
    'metadata.name: Invalid value: "v1.wrong": must be `spec.version+"."+spec.group`: "v1alpha1.example.com"',
  ],
};

describe('1.33 kinds: create, get, list, Table columns, one validation error', () => {
  for (const [resource, sample] of Object.entries(OBJECTS_133)) {
    // "<resource>.<group>" names one group's resource where two groups serve the name.
    const [res, group] = resource.includes('.') ? [resource.slice(0, resource.indexOf('.')), resource.slice(resource.indexOf('.') + 1)] : [resource, undefined];
    for (const d of defs.filter((x) => x.resource === res && (group === undefined || x.group === group))) {
      test(`${resource}.${d.group || 'core'}/${d.version}`, async () => {
        const name = `${String((sample.metadata as { name: string }).name).replace(/\./g, '-').replace(/:/g, '-')}-${d.version}`;
        const body = { apiVersion: gv(d), kind: d.kind, ...sample, metadata: { ...(sample.metadata as object), name: resource === 'ipaddresses' ? `10.200.0.${d.version === 'v1' ? 11 : 12}` : resource === 'apiservices' ? (sample.metadata as { name: string }).name : name } };
        const created = await c.admin.post(base(d), body);
        assert.equal(created.status, 201, `${d.kind}: ${created.text}`);
        const objName = created.body.metadata.name;
        const got = await c.admin.get(`${base(d)}/${objName}`);
        assert.equal(got.status, 200, got.text);
        assert.equal(got.body.apiVersion, gv(d));
        const list = await c.admin.get(base(d));
        assert.equal(list.body.kind, `${d.kind}List`);
        assert.ok(list.body.items.some((i: any) => i.metadata.name === objName));
        const table = await c.admin.get(`${base(d)}/${objName}`, { headers: TABLE });
        assert.equal(table.body.kind, 'Table', table.text);
        assert.deepEqual(table.body.columnDefinitions.map((x: any) => x.name), COLUMNS[resource]);
        assert.equal(table.body.rows[0].cells.length, COLUMNS[resource]!.length);
        const [bad, message] = INVALID[resource]!;
        const rejected = await c.admin.post(base(d), { apiVersion: gv(d), kind: d.kind, ...bad });
        assert.equal(rejected.status, 422, rejected.text);
        assert.equal(rejected.body.reason, 'Invalid');
        assert.ok(rejected.body.message.includes(message), `${rejected.body.message}\n  wanted: ${message}`);
        assert.equal((await c.admin.delete(`${base(d)}/${objName}`)).status, 200);
      });
    }
  }
});

describe('1.33 kinds: behaviour beyond storage', () => {
  const hpaV1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
  const hpaV2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

  test('an HPA written at autoscaling/v1 reads at v2 with its CPU target as a metric, and back', async () => {
    const created = await c.admin.post(hpaV1, { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'cpu' }, spec: { scaleTargetRef: ref, maxReplicas: 5, targetCPUUtilizationPercentage: 50 } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.apiVersion, 'autoscaling/v1');
    assert.equal(created.body.spec.targetCPUUtilizationPercentage, 50);
    assert.equal(created.body.spec.minReplicas, 1);
    const v2 = await c.admin.get(`${hpaV2}/cpu`);
    assert.equal(v2.body.apiVersion, 'autoscaling/v2');
    assert.deepEqual(v2.body.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    assert.equal(v2.body.spec.targetCPUUtilizationPercentage, undefined);
  });

  test('v2 metrics v1 cannot express travel in upstream annotations and survive a v1 round trip', async () => {
    const pods = { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } };
    const behavior = { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } };
    const created = await c.admin.post(hpaV2, { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'mixed' }, spec: { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 5, metrics: [pods], behavior } });
    assert.equal(created.status, 201, created.text);
    // v2 defaulting filled scaleUp.
    assert.equal(created.body.spec.behavior.scaleUp.selectPolicy, 'Max');
    const v1 = await c.admin.get(`${hpaV1}/mixed`);
    assert.equal(v1.body.spec.targetCPUUtilizationPercentage, undefined);
    assert.deepEqual(JSON.parse(v1.body.metadata.annotations['autoscaling.alpha.kubernetes.io/metrics']), [{ type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } }]);
    assert.ok(v1.body.metadata.annotations['autoscaling.alpha.kubernetes.io/behavior']);
    const put = await c.admin.put(`${hpaV1}/mixed`, { ...v1.body, spec: { ...v1.body.spec, maxReplicas: 7 } });
    assert.equal(put.status, 200, put.text);
    const back = await c.admin.get(`${hpaV2}/mixed`);
    assert.equal(back.body.spec.maxReplicas, 7);
    assert.deepEqual(back.body.spec.metrics, [pods]);
    assert.equal(back.body.spec.behavior.scaleDown.stabilizationWindowSeconds, 60);
    assert.equal(back.body.metadata.annotations, undefined);
    const table = await c.admin.get(`${hpaV2}/mixed`, { headers: TABLE });
    assert.deepEqual(table.body.rows[0].cells.slice(0, 6), ['mixed', 'Deployment/web', '<unknown>/10', '2', 7, 0]);
  });

  test('core/v1 and events.k8s.io/v1 Events are one store under two sets of field names', async () => {
    const core = await c.admin.post('/api/v1/namespaces/default/events', {
      metadata: { name: 'both' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' },
      reason: 'Started',
      message: 'started container',
      type: 'Normal',
      source: { component: 'kubelet' },
      count: 3,
    });
    assert.equal(core.status, 201, core.text);
    const v1 = await c.admin.get('/apis/events.k8s.io/v1/namespaces/default/events/both');
    assert.equal(v1.status, 200, v1.text);
    assert.equal(v1.body.apiVersion, 'events.k8s.io/v1');
    assert.deepEqual(v1.body.regarding, { kind: 'Pod', name: 'web-1', namespace: 'default' });
    assert.equal(v1.body.note, 'started container');
    assert.equal(v1.body.deprecatedCount, 3);
    assert.deepEqual(v1.body.deprecatedSource, { component: 'kubelet' });
    assert.equal(v1.body.involvedObject, undefined);
    const selected = await c.admin.get('/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dweb-1');
    assert.deepEqual(selected.body.items.map((i: any) => i.metadata.name), ['both']);
    const patched = await c.admin.patch('/apis/events.k8s.io/v1/namespaces/default/events/both', { note: 'restarted' }, 'application/merge-patch+json');
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await c.admin.get('/api/v1/namespaces/default/events/both')).body.message, 'restarted');
  });

  test('bindings and pods/binding assign a pod to a node once, as a scheduler does', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    for (const n of ['bind-a', 'bind-b']) {
      const p = await c.admin.post(pods, { metadata: { name: n }, spec: { containers: [{ name: 'c', image: 'i' }] } });
      assert.equal(p.status, 201, p.text);
    }
    const viaCollection = await c.admin.post('/api/v1/namespaces/default/bindings', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-a', annotations: { 'scheduled-by': 'test' } }, target: { kind: 'Node', name: 'node-1' } });
    assert.equal(viaCollection.status, 201, viaCollection.text);
    assert.deepEqual(viaCollection.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const a = (await c.admin.get(`${pods}/bind-a`)).body;
    assert.equal(a.spec.nodeName, 'node-1');
    assert.equal(a.metadata.annotations['scheduled-by'], 'test');
    assert.ok(a.status.conditions.some((x: any) => x.type === 'PodScheduled' && x.status === 'True'));
    const again = await c.admin.post(`${pods}/bind-a/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-a' }, target: { name: 'node-2' } });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.message, 'Operation cannot be fulfilled on binding "bind-a": pod bind-a is already assigned to node "node-1"');
    const mismatch = await c.admin.post(`${pods}/bind-b/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-a' }, target: { name: 'node-2' } });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.message, 'name in URL does not match name in Binding object');
    // A pod the scheduler could not place before: PodScheduled=False is replaced whole by True (as
    // upstream's UpdatePodCondition), other conditions stay.
    const failed = [{ type: 'Custom', status: 'True' }, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no fit', lastTransitionTime: '2020-01-01T00:00:00Z' }];
    const st = await c.admin.patch(`${pods}/bind-b/status`, { status: { conditions: failed } }, 'application/merge-patch+json');
    assert.equal(st.status, 200, st.text);
    const viaSub = await c.admin.post(`${pods}/bind-b/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-b' }, target: { name: 'node-2' } });
    assert.equal(viaSub.status, 201, viaSub.text);
    const b = (await c.admin.get(`${pods}/bind-b`)).body;
    assert.equal(b.spec.nodeName, 'node-2');
    assert.deepEqual(b.spec.containers.map((x: any) => x.name), ['c']);
    assert.deepEqual(b.status.conditions.map((x: any) => [x.type, x.status, x.reason]), [['Custom', 'True', undefined], ['PodScheduled', 'True', undefined]]);
    assert.notEqual(b.status.conditions[1].lastTransitionTime, '2020-01-01T00:00:00Z');
    const noTarget = await c.admin.post('/api/v1/namespaces/default/bindings', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-b' }, target: {} });
    assert.match(noTarget.body.message, /target\.name: Required value/);
  });

  test('replicationcontrollers/scale reads the selector from the label set and writes spec.replicas', async () => {
    const rcs = '/api/v1/namespaces/default/replicationcontrollers';
    const created = await c.admin.post(rcs, { metadata: { name: 'scaled' }, spec: { template: { metadata: { labels: { app: 'scaled' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    assert.equal(created.status, 201, created.text);
    // Defaulted from the template, as upstream.
    assert.deepEqual(created.body.spec.selector, { app: 'scaled' });
    assert.equal(created.body.spec.replicas, 1);
    const scale = await c.admin.get(`${rcs}/scaled/scale`);
    assert.equal(scale.body.status.selector, 'app=scaled');
    const put = await c.admin.put(`${rcs}/scaled/scale`, { ...scale.body, spec: { replicas: 4 } });
    assert.equal(put.status, 200, put.text);
    assert.equal((await c.admin.get(`${rcs}/scaled`)).body.spec.replicas, 4);
  });

  test('componentstatuses: computed, read-only, honest', async () => {
    const list = await c.admin.get('/api/v1/componentstatuses');
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.kind, 'ComponentStatusList');
    assert.match(String(list.headers.warning), /v1 ComponentStatus is deprecated in v1\.19\+/);
    const byName = Object.fromEntries(list.body.items.map((i: any) => [i.metadata.name, i.conditions[0]]));
    assert.deepEqual(byName['etcd-0'], { type: 'Healthy', status: 'True', message: 'ok' });
    assert.equal(byName.scheduler.status, 'False');
    assert.equal(byName['controller-manager'].status, 'Unknown');
    const one = await c.admin.get('/api/v1/componentstatuses/etcd-0', { headers: TABLE });
    assert.deepEqual(one.body.rows[0].cells, ['etcd-0', 'Healthy', 'ok', '']);
    assert.equal((await c.admin.get('/api/v1/componentstatuses/nope')).status, 404);
    assert.equal((await c.admin.post('/api/v1/componentstatuses', { metadata: { name: 'x' } })).status, 405);
    assert.equal((await c.admin.delete('/api/v1/componentstatuses/etcd-0')).status, 405);
    assert.equal((await c.admin.get('/api/v1/componentstatuses?watch=1')).status, 405);
  });

  test('the system PriorityClasses exist and cannot be taken over', async () => {
    const pc = await c.admin.get('/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical');
    assert.equal(pc.status, 200, pc.text);
    assert.equal(pc.body.value, 2000001000);
    assert.equal((await c.admin.get('/apis/scheduling.k8s.io/v1/priorityclasses/system-cluster-critical')).body.value, 2000000000);
    const patched = await c.admin.patch('/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical', { value: 5 }, 'application/merge-patch+json');
    assert.equal(patched.status, 422);
    assert.match(patched.body.message, /value: Forbidden: may not be changed in an update\./);
  });

  test('the mandatory API Priority and Fairness objects exist with fixed specs', async () => {
    const fs = await c.admin.get('/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/exempt');
    assert.equal(fs.status, 200, fs.text);
    assert.equal(fs.body.spec.matchingPrecedence, 1);
    const pl = await c.admin.get('/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations/catch-all');
    assert.equal(pl.body.spec.limited.nominalConcurrencyShares, 5);
    const changed = await c.admin.patch('/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations/catch-all', { spec: { limited: { nominalConcurrencyShares: 50 } } }, 'application/merge-patch+json');
    assert.equal(changed.status, 422, changed.text);
    assert.match(changed.body.message, /spec: Invalid value: .*spec of 'catch-all' must equal the fixed value/);
  });

  test('discovery: autoscaling prefers v2 and serves v1; the new groups are listed', async () => {
    const g = await c.admin.get('/apis/autoscaling');
    assert.equal(g.body.preferredVersion.version, 'v2');
    assert.deepEqual(g.body.versions.map((v: any) => v.version), ['v2', 'v1']);
    const groups = (await c.admin.get('/apis')).body.groups.map((x: any) => x.name);
    for (const name of ['scheduling.k8s.io', 'storage.k8s.io', 'node.k8s.io', 'discovery.k8s.io', 'flowcontrol.apiserver.k8s.io', 'apiregistration.k8s.io']) assert.ok(groups.includes(name), name);
    const core = await c.admin.get('/api/v1');
    const cs = core.body.resources.find((r: any) => r.name === 'componentstatuses');
    assert.deepEqual(cs.verbs, ['get', 'list']);
    assert.deepEqual(cs.shortNames, ['cs']);
    assert.ok(core.body.resources.some((r: any) => r.name === 'replicationcontrollers/scale'));
  });

  test('kubectl 1.33 lists the new kinds with upstream columns', { skip: kubectlSkip(33) }, async () => {
    const pc = await runKubectl(33, c.cp.kubeconfigPath, ['get', 'priorityclasses']);
    assert.equal(pc.code, 0, pc.stderr);
    assert.match(pc.stdout, /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY$/m);
    assert.match(pc.stdout, /^system-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority$/m);
    const cs = await runKubectl(33, c.cp.kubeconfigPath, ['get', 'cs']);
    assert.equal(cs.code, 0, cs.stderr);
    assert.match(cs.stderr, /Warning: v1 ComponentStatus is deprecated in v1\.19\+/);
    assert.match(cs.stdout, /^etcd-0\s+Healthy\s+ok/m);
    const apf = await runKubectl(33, c.cp.kubeconfigPath, ['get', 'flowschemas,prioritylevelconfigurations', '-o', 'name']);
    assert.equal(apf.code, 0, apf.stderr);
    for (const n of ['flowschema.flowcontrol.apiserver.k8s.io/exempt', 'flowschema.flowcontrol.apiserver.k8s.io/catch-all', 'prioritylevelconfiguration.flowcontrol.apiserver.k8s.io/catch-all']) assert.ok(apf.stdout.includes(n), apf.stdout);
    const web = await c.admin.post('/apis/apps/v1/namespaces/default/deployments', { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    assert.equal(web.status, 201, web.text);
    const hpa = await runKubectl(33, c.cp.kubeconfigPath, ['autoscale', 'deployment', 'web', '--max=4', '--cpu-percent=70', '--dry-run=server', '-o', 'jsonpath={.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}']);
    assert.equal(hpa.code, 0, hpa.stderr);
    assert.equal(hpa.stdout, 'autoscaling/v2 70');
  });

  test('OpenAPI v3 describes APIService from the kube-aggregator schema', async () => {
    const doc = await c.admin.get('/openapi/v3/apis/apiregistration.k8s.io/v1');
    assert.equal(doc.status, 200, doc.text.slice(0, 200));
    const schema = doc.body.components.schemas['io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService'];
    assert.ok(schema, Object.keys(doc.body.components.schemas).join(','));
    assert.deepEqual(schema['x-kubernetes-group-version-kind'], [{ group: 'apiregistration.k8s.io', kind: 'APIService', version: 'v1' }]);
  });
});
