/**
 * The default-enabled admission plugins of kube-apiserver 1.33 for nodes, storage, RuntimeClass and
 * Ingress, through the HTTPS server with the default chain: TaintNodesByCondition,
 * StorageObjectInUseProtection (with the protection controllers the test cluster runs),
 * PersistentVolumeClaimResize, RuntimeClass and DefaultIngressClass.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile({}, { settle: true });

const pod = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });
const claim = (name: string, storageClassName: string, storage = '1Gi') => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage } } } });
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('TaintNodesByCondition: a created Node carries node.kubernetes.io/not-ready:NoSchedule after its own taints', async () => {
  const r = await c.admin.post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'tainted' }, spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body.spec.taints, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
});

test('StorageObjectInUseProtection: a claim used by a pod on a node stays Terminating until the pod is gone; a volume is protected too', async () => {
  const pvc = await c.admin.post('/api/v1/namespaces/default/persistentvolumeclaims', claim('data', 'manual'));
  assert.equal(pvc.status, 201, pvc.text);
  assert.deepEqual(pvc.body.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  const pv = await c.admin.post('/api/v1/persistentvolumes', { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-data' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv-data' }, storageClassName: 'manual' } });
  assert.equal(pv.status, 201, pv.text);
  assert.deepEqual(pv.body.metadata.finalizers, ['kubernetes.io/pv-protection']);
  const user = await c.admin.post('/api/v1/namespaces/default/pods', pod('user', { nodeName: 'tainted', volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] }));
  assert.equal(user.status, 201, user.text);

  assert.equal((await c.admin.delete('/api/v1/namespaces/default/persistentvolumeclaims/data')).status, 200);
  // The controller has seen the claim and kept it: give it time to have acted, then check it is still held.
  await new Promise((r) => setTimeout(r, 500));
  const held = await c.admin.get('/api/v1/namespaces/default/persistentvolumeclaims/data');
  assert.equal(held.status, 200);
  assert.ok(held.body.metadata.deletionTimestamp);
  assert.deepEqual(held.body.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  assert.equal((await c.admin.delete('/api/v1/namespaces/default/pods/user', { gracePeriodSeconds: 0 })).status, 200);
  await eventually(async () => (await c.admin.get('/api/v1/namespaces/default/persistentvolumeclaims/data')).status === 404, 'the claim to go once its pod is gone');

  // An unbound volume goes at once (nothing binds it here: no binder in the test cluster).
  assert.equal((await c.admin.delete('/api/v1/persistentvolumes/pv-data')).status, 200);
  await eventually(async () => (await c.admin.get('/api/v1/persistentvolumes/pv-data')).status === 404, 'the unbound volume to go');
});

test('PersistentVolumeClaimResize: growing a bound claim is refused unless its StorageClass allows expansion', async () => {
  for (const [name, allow] of [['fixed', false], ['growable', true]] as const) {
    const sc = await c.admin.post('/apis/storage.k8s.io/v1/storageclasses', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'example.com/none', allowVolumeExpansion: allow });
    assert.equal(sc.status, 201, sc.text);
    assert.equal((await c.admin.post('/api/v1/namespaces/default/persistentvolumeclaims', claim(`c-${name}`, name))).status, 201);
  }
  const grow = (name: string) => c.admin.patch(`/api/v1/namespaces/default/persistentvolumeclaims/${name}`, { spec: { resources: { requests: { storage: '2Gi' } } } }, 'application/merge-patch+json');
  // An unbound claim's spec is immutable: field validation (before this plugin) answers 422.
  assert.equal((await grow('c-growable')).status, 422);
  for (const name of ['c-fixed', 'c-growable']) {
    const st = await c.admin.patch(`/api/v1/namespaces/default/persistentvolumeclaims/${name}/status`, { status: { phase: 'Bound' } }, 'application/merge-patch+json');
    assert.equal(st.status, 200, st.text);
  }
  const fixed = await grow('c-fixed');
  assert.equal(fixed.status, 403, fixed.text);
  assert.equal(fixed.body.reason, 'Forbidden');
  assert.equal(fixed.body.message, 'persistentvolumeclaims "c-fixed" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
  const ok = await grow('c-growable');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.spec.resources.requests.storage, '2Gi');
});

test('RuntimeClass: overhead and scheduling come from the class; an unknown class and a hand-set overhead are refused', async () => {
  const rc = await c.admin.post('/apis/node.k8s.io/v1/runtimeclasses', { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'sandboxed' }, handler: 'runc', overhead: { podFixed: { cpu: '100m', memory: '64Mi' } }, scheduling: { nodeSelector: { sandbox: 'yes' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] } });
  assert.equal(rc.status, 201, rc.text);
  const p = await c.admin.post('/api/v1/namespaces/default/pods', pod('sandboxed', { runtimeClassName: 'sandboxed' }));
  assert.equal(p.status, 201, p.text);
  assert.deepEqual(p.body.spec.overhead, { cpu: '100m', memory: '64Mi' });
  assert.deepEqual(p.body.spec.nodeSelector, { sandbox: 'yes' });
  assert.ok(p.body.spec.tolerations.some((t: { key?: string }) => t.key === 'sandbox'), JSON.stringify(p.body.spec.tolerations));
  const gone = await c.admin.post('/api/v1/namespaces/default/pods', pod('gone', { runtimeClassName: 'gone' }));
  assert.equal(gone.status, 403, gone.text);
  assert.equal(gone.body.message, 'pods "gone" is forbidden: pod rejected: RuntimeClass "gone" not found');
  const clash = await c.admin.post('/api/v1/namespaces/default/pods', pod('clash', { runtimeClassName: 'sandboxed', nodeSelector: { sandbox: 'no' } }));
  assert.equal(clash.status, 403, clash.text);
  assert.equal(clash.body.message, 'pods "clash" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = yes; pod.spec.nodeSelector[sandbox] = no');
  const handSet = await c.admin.post('/api/v1/namespaces/default/pods', pod('hand-set', { overhead: { cpu: '1' } }));
  assert.equal(handSet.status, 403, handSet.text);
  assert.equal(handSet.body.message, 'pods "hand-set" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
});

test('RuntimeClass: the overhead it sets is charged by ResourceQuota with the containers\' requests', async () => {
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rc-quota' } })).status, 201);
  const q = await c.admin.post('/api/v1/namespaces/rc-quota/resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': '1', 'requests.memory': '1Gi' } } });
  assert.equal(q.status, 201, q.text);
  await eventually(async () => !!(await c.admin.get('/api/v1/namespaces/rc-quota/resourcequotas/q')).body.status?.hard, 'the quota controller to write status.hard');
  const p = await c.admin.post('/api/v1/namespaces/rc-quota/pods', pod('charged', { runtimeClassName: 'sandboxed', containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '200m', memory: '100Mi' } } }] }));
  assert.equal(p.status, 201, p.text);
  await eventually(async () => (await c.admin.get('/api/v1/namespaces/rc-quota/resourcequotas/q')).body.status?.used?.['requests.cpu'] === '300m', 'requests.cpu used 200m + 100m overhead');
  assert.equal((await c.admin.get('/api/v1/namespaces/rc-quota/resourcequotas/q')).body.status.used['requests.memory'], '164Mi');
});

test('DefaultIngressClass: an Ingress without a class gets the default IngressClass', async () => {
  const ic = await c.admin.post('/apis/networking.k8s.io/v1/ingressclasses', { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'web', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'example.com/ingress' } });
  assert.equal(ic.status, 201, ic.text);
  const ing = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, ...extra }, spec: { defaultBackend: { service: { name: 's', port: { number: 80 } } } } });
  const a = await c.admin.post('/apis/networking.k8s.io/v1/namespaces/default/ingresses', ing('a'));
  assert.equal(a.status, 201, a.text);
  assert.equal(a.body.spec.ingressClassName, 'web');
  const legacy = await c.admin.post('/apis/networking.k8s.io/v1/namespaces/default/ingresses', ing('legacy', { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }));
  assert.equal(legacy.status, 201, legacy.text);
  assert.equal(legacy.body.spec.ingressClassName, undefined);
});
