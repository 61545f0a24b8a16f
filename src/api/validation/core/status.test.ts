import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../field-errors.ts';
import { validateObject, type GVK } from '../index.ts';
import { applyDefaults } from '../../defaults/index.ts';

type Obj = Record<string, any>;
const core = (kind: string): GVK => ({ group: '', version: 'v1', kind });
const msgs = (gvk: GVK, obj: Obj, old: Obj, sub = 'status') => validateObject(gvk, obj, old, sub).map(errorString);
const withStatus = (o: Obj, status: Obj): Obj => ({ ...o, status });

/** Per kind: a stored object today's spec rules refuse, a status write that is fine, and a bad one. */
const CASES: Record<string, { stored: Obj; good: Obj; bad: Obj; message: string[] }> = {
  Node: {
    stored: { metadata: { name: 'n1', uid: 'u', resourceVersion: '3' }, spec: { podCIDRs: ['not-a-cidr'] } },
    good: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }] },
    bad: {
      capacity: { cpu: '-1', pods: '1.5' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'InternalIP', address: '10.0.0.1' }],
    },
    message: [
      'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0',
      'status.capacity.pods: Invalid value: "1.5": must be an integer',
      'status.addresses[1]: Duplicate value: core.NodeAddress{Type:"InternalIP", Address:"10.0.0.1"}',
    ],
  },
  Service: {
    // No sessionAffinity/type: the create and update rules would say "Required value".
    stored: { metadata: { name: 's', namespace: 'default', uid: 'u', resourceVersion: '3' }, spec: { ports: [{ port: 80 }] } },
    good: {},
    bad: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
    message: ["status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"],
  },
  ResourceQuota: {
    stored: { metadata: { name: 'q', namespace: 'default', uid: 'u', resourceVersion: '3' }, spec: { hard: { bogus: '1' } } },
    good: { hard: { pods: '10' }, used: { pods: '2' } },
    bad: { hard: { pods: '10', cpu: '-1' }, used: { pods: '1.5' } },
    message: [
      'status.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
      'status.used[pods]: Invalid value: "1.5": must be an integer',
    ],
  },
  PersistentVolume: {
    // No volume source: "must specify a volume type" on create and update.
    stored: { metadata: { name: 'pv', uid: 'u', resourceVersion: '3' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } },
    good: { phase: 'Available' },
    bad: { phase: 'Bound' },
    message: [],
  },
  PersistentVolumeClaim: {
    stored: {
      metadata: { name: 'c', namespace: 'default', uid: 'u', resourceVersion: '3' },
      spec: { accessModes: ['ReadWriteOnce', 'Bogus'], resources: { requests: { storage: '1Gi' } } },
    },
    good: { phase: 'Bound', capacity: { storage: '1Gi' } },
    bad: { phase: 'Bound', capacity: { storage: '-1Gi' } },
    message: ['status.capacity[storage]: Invalid value: -1073741824: must be a valid resource quantity'],
  },
};

for (const [kind, c] of Object.entries(CASES)) {
  test(`${kind}: a status write to an object the spec rules refuse succeeds; a bad status is refused`, () => {
    const gvk = core(kind);
    assert.notDeepEqual(msgs(gvk, c.stored, c.stored, ''), [], 'premise: the stored spec fails the update rules');
    assert.deepEqual(msgs(gvk, withStatus(c.stored, c.good), c.stored), []);
    assert.deepEqual(msgs(gvk, withStatus(c.stored, c.bad), c.stored), c.message);
  });
}

test('Node status: upstream update rules (podCIDRs/providerID set once, taints on the metadata path)', () => {
  const old = { metadata: { name: 'n1', resourceVersion: '1' }, spec: { podCIDRs: ['10.0.0.0/24'], providerID: 'p1' } };
  const next = { metadata: { name: 'n1', resourceVersion: '1' }, spec: { podCIDRs: ['10.0.1.0/24'], providerID: 'p2', taints: [{ key: 'k', effect: 'Bogus' }] } };
  assert.deepEqual(msgs(core('Node'), next, old), [
    'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
    'metadata.taints[0].effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ]);
  // Setting them the first time is allowed.
  const fresh = { metadata: { name: 'n1', resourceVersion: '1' }, spec: {} };
  assert.deepEqual(msgs(core('Node'), { ...fresh, spec: { podCIDRs: ['10.0.0.0/24'], providerID: 'p' } }, fresh), []);
  // Extended resources are counted in whole units; hugepages are not.
  assert.deepEqual(msgs(core('Node'), { ...fresh, status: { capacity: { 'example.com/gpu': '500m', 'hugepages-2Mi': '1.5Mi' } } }, fresh), [
    'status.capacity.example.com/gpu: Invalid value: "500m": must be an integer',
  ]);
});

test('Namespace status: phase must match deletionTimestamp', () => {
  const ns = { metadata: { name: 'a', resourceVersion: '1' }, status: { phase: 'Active' } };
  assert.deepEqual(msgs(core('Namespace'), ns, ns), []);
  assert.deepEqual(msgs(core('Namespace'), { ...ns, status: { phase: 'Terminating' } }, ns), [
    "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty",
  ]);
  const deleting = { metadata: { ...ns.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Terminating' } };
  assert.deepEqual(msgs(core('Namespace'), deleting, deleting), []);
  assert.deepEqual(msgs(core('Namespace'), { ...deleting, status: { phase: 'Active' } }, deleting), [
    "status.Phase: Invalid value: \"Active\": may only be 'Terminating' if `deletionTimestamp` is not empty",
  ]);
});

test('Service status: load-balancer ingress ip, ipMode and hostname', () => {
  const svc = { metadata: { name: 's', namespace: 'default', resourceVersion: '1' }, spec: { type: 'LoadBalancer' } };
  const ing = (...ingress: Obj[]) => ({ ...svc, status: { loadBalancer: { ingress } } });
  assert.deepEqual(msgs(core('Service'), ing({ ip: '1.2.3.4', ipMode: 'VIP' }, { hostname: 'lb.example.com' }), svc), []);
  assert.deepEqual(msgs(core('Service'), ing({ ip: 'nope' }, { hostname: 'lb.example.com', ipMode: 'VIP' }, { ip: '1.2.3.4', ipMode: 'Magic' }, { hostname: '1.2.3.4' }), svc), [
    'status.loadBalancer.ingress[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set',
    'status.loadBalancer.ingress[1].ipMode: Forbidden: may not be specified when `ip` is not set',
    'status.loadBalancer.ingress[2].ipMode: Unsupported value: "Magic": supported values: "Proxy", "VIP"',
    'status.loadBalancer.ingress[3].hostname: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
  ]);
});

test('Service status: ipMode defaults to VIP for an ingress IP of a LoadBalancer Service (SetDefaults_Service), then is required', () => {
  const svc = { metadata: { name: 's', namespace: 'default', resourceVersion: '1' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } };
  const written = { ...svc, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '1.2.3.5', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }] } } };
  // Without the defaulting (upstream validates after it) the rule refuses the first entry.
  assert.deepEqual(msgs(core('Service'), structuredClone(written), svc), ['status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set']);
  const defaulted = structuredClone(written);
  applyDefaults(core('Service'), defaulted);
  assert.deepEqual(defaulted.status.loadBalancer.ingress, [{ ip: '1.2.3.4', ipMode: 'VIP' }, { ip: '1.2.3.5', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }]);
  assert.deepEqual(msgs(core('Service'), defaulted, svc), []);
  // Only a LoadBalancer's: another type's ingress is left alone (and refused as before).
  const clusterIP = { ...structuredClone(written), spec: { type: 'ClusterIP', ports: [{ port: 80 }] } };
  applyDefaults(core('Service'), clusterIP);
  assert.equal(clusterIP.status.loadBalancer.ingress[0].ipMode, undefined);
});

test('PVC status: allocatedResources and allocatedResourceStatuses (RecoverVolumeExpansionFailure, on in 1.33)', () => {
  const pvc = { metadata: { name: 'c', namespace: 'default', resourceVersion: '3' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  const write = (status: Obj) => msgs(core('PersistentVolumeClaim'), { ...pvc, status }, pvc);
  assert.deepEqual(write({ allocatedResources: { storage: '2Gi', 'example.com/iops': '100' }, allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' } }), []);
  assert.deepEqual(write({
    allocatedResourceStatuses: { storage: 'Resizing', cpu: 'NodeResizePending', 'bad key!': 'NodeResizeInfeasible' },
    allocatedResources: { storage: '-1Gi', memory: '1Gi', 'example.com/x': '-500m', 'bad/key/too': '1' },
  }), [
    // Upstream shows the key, not the value, and a path without the map key.
    'status.allocatedResourceStatus: Unsupported value: "storage": supported values: "ControllerResizeInProgress", "ControllerResizeInfeasible", "NodeResizeInProgress", "NodeResizeInfeasible", "NodeResizePending"',
    'status.allocatedResourceStatus: Unsupported value: "cpu": supported values: "storage"',
    'status.allocatedResourceStatus: Invalid value: "bad key!": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
    'status.allocatedResources[storage]: Invalid value: -1073741824: must be a valid resource quantity',
    'status.allocatedResources: Unsupported value: "memory": supported values: "storage"',
    // Value() of -500m is -1 (rounded away from zero), which validateBasicResource refuses first.
    'status.allocatedResources[example.com/x]: Invalid value: -1: must be a valid resource quantity',
    'status.allocatedResources: Invalid value: "bad/key/too": a qualified name must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\') with an optional DNS subdomain prefix and \'/\' (e.g. \'example.com/MyName\')',
  ]);
});

test('status writes keep the metadata rules; the main resource keeps its own rules', () => {
  const ns = { metadata: { name: 'a', resourceVersion: '1', labels: { ok: 'x' } }, status: { phase: 'Active' } };
  assert.deepEqual(msgs(core('Namespace'), { ...ns, metadata: { ...ns.metadata, labels: { 'bad key': 'x' } } }, ns).length, 1);
  const q = CASES.ResourceQuota!.stored;
  assert.ok(msgs(core('ResourceQuota'), q, q, '').some((m) => m.includes('must be a standard resource for quota')));
});

test('Node main update: the create rules plus ValidateNodeUpdate (podCIDRs/providerID set once), taints reported once', () => {
  const old = { metadata: { name: 'n1', resourceVersion: '1' }, spec: { providerID: 'p1' } };
  const next = { metadata: { name: 'n1', resourceVersion: '1' }, spec: { providerID: 'p2', podCIDRs: ['bad'], taints: [{ key: 'k', effect: 'Bogus' }] } };
  assert.deepEqual(msgs(core('Node'), next, old, ''), [
    'spec.podCIDRs[0]: Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
    'metadata.taints[0].effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ]);
  // The node IPAM controller may assign pod CIDRs once.
  assert.deepEqual(msgs(core('Node'), { ...old, spec: { providerID: 'p1', podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } }, old, ''), []);
});

test('PersistentVolumeClaim status: a negative fraction of a unit is Value() -1, refused (upstream rounds it away from zero)', () => {
  const stored = { metadata: { name: 'c', namespace: 'default', uid: 'u', resourceVersion: '3' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  assert.deepEqual(msgs(core('PersistentVolumeClaim'), withStatus(stored, { phase: 'Bound', capacity: { storage: '-500m' } }), stored), [
    'status.capacity[storage]: Invalid value: -1: must be a valid resource quantity',
  ]);
});
