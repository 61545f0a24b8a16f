import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROLLERS, selectControllers, type ControllerDescriptor } from './registry.ts';

const names = (cs: ControllerDescriptor[]) => cs.map((c) => c.name);
const known: ControllerDescriptor[] = [
  ...CONTROLLERS,
  { name: 'bootstrap-signer-controller', aliases: ['bootstrapsigner'], serviceAccount: 'bootstrap-signer', disabledByDefault: true, workers: 1, start: () => { throw new Error('unused'); } },
];

test('--controllers as upstream: * is the defaults, foo adds, -foo removes, the first entry naming a controller wins, aliases count', () => {
  const all = CONTROLLERS.filter((c) => !c.disabledByDefault).map((c) => c.name);
  const without = (n: string) => all.filter((x) => x !== n);
  assert.deepEqual(names(selectControllers(['*'], known)), all);
  assert.deepEqual(names(selectControllers(['*', '-deployment-controller'], known)), without('deployment-controller'));
  assert.deepEqual(names(selectControllers(['*', 'bootstrapsigner'], known)), [...all, 'bootstrap-signer-controller']);
  assert.deepEqual(names(selectControllers(['deployment'], known)), ['deployment-controller']);
  assert.deepEqual(names(selectControllers(['-replicaset', 'replicaset-controller', '*'], known)), without('replicaset-controller'));
  assert.deepEqual(names(selectControllers([], known)), []);
  assert.ok(!names(selectControllers(['*'], known)).includes('node-ipam-controller'), 'only with a cluster CIDR');
  assert.ok(names(selectControllers(['*', 'nodeipam'], known)).includes('node-ipam-controller'));
});

test('--controllers with a name that is no controller fails with upstream\'s message', () => {
  assert.throws(() => selectControllers(['*', '-nope', 'deployments'], known), { message: '--controllers: "nope" is not in the list of known controllers, "deployments" is not in the list of known controllers' });
});

test('each registered controller acts as the service account its bootstrap role is bound to', () => {
  assert.deepEqual(CONTROLLERS.map((c) => [c.name, c.serviceAccount]), [
    ['replicaset-controller', 'replicaset-controller'],
    ['replicationcontroller-controller', 'replication-controller'],
    ['deployment-controller', 'deployment-controller'],
    ['job-controller', 'job-controller'],
    ['cronjob-controller', 'cronjob-controller'],
    ['ttl-after-finished-controller', 'ttl-after-finished-controller'],
    ['statefulset-controller', 'statefulset-controller'],
    ['daemonset-controller', 'daemon-set-controller'],
    ['endpoints-controller', 'endpoint-controller'],
    ['endpointslice-controller', 'endpointslice-controller'],
    ['disruption-controller', 'disruption-controller'],
    ['node-lifecycle-controller', 'node-controller'],
    ['taint-eviction-controller', 'node-controller'],
    ['certificatesigningrequest-approving-controller', 'certificate-controller'],
    ['certificatesigningrequest-signing-controller', 'certificate-controller'],
    ['pod-garbage-collector-controller', 'pod-garbage-collector'],
    ['horizontal-pod-autoscaler-controller', 'horizontal-pod-autoscaler'],
    ['persistentvolume-binder-controller', 'persistent-volume-binder'],
    ['persistentvolumeclaim-protection-controller', 'pvc-protection-controller'],
    ['persistentvolume-protection-controller', 'pv-protection-controller'],
    ['serviceaccount-controller', 'service-account-controller'],
    ['root-ca-certificate-publisher-controller', 'root-ca-cert-publisher'],
    ['resourcequota-controller', 'resourcequota-controller'],
    ['namespace-controller', 'namespace-controller'],
    ['node-ipam-controller', 'node-controller'],
    ['token-cleaner-controller', 'token-cleaner'],
    ['garbage-collector-controller', 'generic-garbage-collector'],
    ['policy-reports-controller', 'policy-reports-controller'],
  ]);
});
