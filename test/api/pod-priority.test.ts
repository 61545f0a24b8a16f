/**
 * The Priority admission plugin in a running API server: a tenant cannot give its pod a priority
 * of its own (it would be critical to the node agent and outrank everyone's pods); the class decides.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({});
  await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 't1' } });
  await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/t1/rolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'edit' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'User', name: 'tina', apiGroup: 'rbac.authorization.k8s.io' }],
  });
});
after(() => c.close());

const pod = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });

test('a tenant\'s pod with a priority of its own is refused; one naming a class gets the class\'s; one naming none gets 0', async () => {
  const tina = c.as('tina');
  try {
    const self = await tina.post('/api/v1/namespaces/t1/pods', pod('self', { priority: 2000001000 }));
    assert.equal(self.status, 403, self.text);
    assert.equal(self.body.message, 'pods "self" is forbidden: the integer value of priority (2000001000) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name');
    const ghost = await tina.post('/api/v1/namespaces/t1/pods', pod('ghost', { priorityClassName: 'ghost' }));
    assert.equal(ghost.status, 403);
    assert.equal(ghost.body.message, 'pods "ghost" is forbidden: no PriorityClass with name ghost was found');
    const crit = await tina.post('/api/v1/namespaces/t1/pods', pod('crit', { priorityClassName: 'system-cluster-critical' }));
    assert.equal(crit.status, 201, crit.text);
    assert.equal(crit.body.spec.priority, 2000000000);
    assert.equal(crit.body.spec.preemptionPolicy, 'PreemptLowerPriority');
    const plain = await tina.post('/api/v1/namespaces/t1/pods', pod('plain', {}));
    assert.equal(plain.status, 201, plain.text);
    assert.equal(plain.body.spec.priority, 0);
    // Labels change; priority is kept although the update leaves it out.
    const { priority: _p, preemptionPolicy: _pp, ...spec } = crit.body.spec;
    const put = await tina.put('/api/v1/namespaces/t1/pods/crit', { ...crit.body, metadata: { ...crit.body.metadata, labels: { a: 'b' } }, spec });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.spec.priority, 2000000000);
  } finally {
    tina.close();
  }
});

const PCS = '/apis/scheduling.k8s.io/v1/priorityclasses';
const pcObj = (name: string, value: number, globalDefault = false) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, globalDefault });

test('PriorityClass: one globalDefault at most (upstream\'s Priority plugin); values above 1e9 only for the system classes', async () => {
  assert.equal((await c.admin.post(PCS, pcObj('first', 10, true))).status, 201);
  const second = await c.admin.post(PCS, pcObj('second', 20, true));
  assert.equal(second.status, 403, second.text);
  assert.equal(second.body.message, 'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as default. Only one default can exist');
  const plain = await c.admin.post(PCS, pcObj('second', 20));
  assert.equal(plain.status, 201, plain.text);
  const marked = await c.admin.patch(`${PCS}/second`, { globalDefault: true }, 'application/merge-patch+json');
  assert.equal(marked.status, 403, marked.text);
  assert.equal(marked.body.message, 'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked as default. Only one default can exist');
  // The default itself may be updated and stay the default.
  const again = await c.admin.patch(`${PCS}/first`, { globalDefault: true, description: 'd' }, 'application/merge-patch+json');
  assert.equal(again.status, 200, again.text);
  const big = await c.admin.post(PCS, pcObj('big', 1000000001));
  assert.equal(big.status, 422, big.text);
  assert.equal(big.body.message, 'PriorityClass.scheduling.k8s.io "big" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000');
  assert.equal((await c.admin.post(PCS, pcObj('top', 1000000000))).status, 201);
  for (const name of ['first', 'second', 'top']) await c.admin.delete(`${PCS}/${name}`);
});
