import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceQuota } from './resource-quota.ts';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { attrs, container, pod, testDeps } from '../quota/testing.ts';
import type { Store } from '../../storage/types.ts';

async function addQuota(store: Store, name: string, hard: Record<string, string>, used: Record<string, string>, spec: Record<string, any> = {}) {
  await store.create(`/registry/core/resourcequotas/ns/${name}`, {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name, namespace: 'ns' },
    spec: { hard, ...spec },
    status: { hard, used },
  });
}

async function used(store: Store, name: string) {
  return ((await store.get<any>(`/registry/core/resourcequotas/ns/${name}`))!.value.status.used);
}

test('a create within quota is charged to status.used before it is stored', async () => {
  const deps = testDeps();
  await addQuota(deps.store, 'q', { pods: '10', 'requests.cpu': '2', 'requests.memory': '1Gi' }, { pods: '0', 'requests.cpu': '0', 'requests.memory': '0' });
  const rq = new ResourceQuota(deps);
  const a = attrs('pods', pod('p', [container('c', { cpu: '500m', memory: '256Mi' })]));
  assert.equal(rq.handles(a), true);
  assert.deepEqual(await rq.validate(a), { allowed: true });
  assert.deepEqual(await used(deps.store, 'q'), { pods: '1', 'requests.cpu': '500m', 'requests.memory': '256Mi' });
});

test('denials carry upstream messages', async () => {
  const cases: { hard: Record<string, string>; used: Record<string, string>; resource: string; obj: Record<string, any>; want: string; spec?: Record<string, any> }[] = [
    { hard: { pods: '10' }, used: { pods: '10' }, resource: 'pods', obj: pod('p', [container('c')]), want: 'exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10' },
    {
      hard: { 'requests.cpu': '1', 'requests.memory': '1Gi' },
      used: { 'requests.cpu': '800m', 'requests.memory': '1Gi' },
      resource: 'pods',
      obj: pod('p', [container('c', { cpu: '500m', memory: '1Mi' })]),
      want: 'exceeded quota: q, requested: requests.cpu=500m,requests.memory=1Mi, used: requests.cpu=800m,requests.memory=1Gi, limited: requests.cpu=1,requests.memory=1Gi',
    },
    {
      hard: { 'limits.cpu': '2', 'requests.memory': '1Gi' },
      used: { 'limits.cpu': '0', 'requests.memory': '0' },
      resource: 'pods',
      obj: pod('p', [container('b'), container('a', { memory: '1Mi' })]),
      want: 'failed quota: q: must specify limits.cpu for: a,b; requests.memory for: b',
    },
    { hard: { pods: '10' }, used: {}, resource: 'pods', obj: pod('p', [container('c')]), want: 'status unknown for quota: q, resources: pods' },
    { hard: { configmaps: '1' }, used: { configmaps: '1' }, resource: 'configmaps', obj: { metadata: { name: 'cm' } }, want: 'exceeded quota: q, requested: configmaps=1, used: configmaps=1, limited: configmaps=1' },
    {
      hard: { 'count/deployments.apps': '0' },
      used: { 'count/deployments.apps': '0' },
      resource: 'deployments',
      obj: { metadata: { name: 'd' } },
      want: 'exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=0, limited: count/deployments.apps=0',
    },
    {
      hard: { 'services.nodeports': '1' },
      used: { 'services.nodeports': '0' },
      resource: 'services',
      obj: { metadata: { name: 's' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } },
      want: 'exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1',
    },
    {
      hard: { 'requests.storage': '1Gi', persistentvolumeclaims: '5' },
      used: { 'requests.storage': '512Mi', persistentvolumeclaims: '1' },
      resource: 'persistentvolumeclaims',
      obj: { metadata: { name: 'c' }, spec: { resources: { requests: { storage: '600Mi' } } } },
      want: 'exceeded quota: q, requested: requests.storage=600Mi, used: requests.storage=512Mi, limited: requests.storage=1Gi',
    },
  ];
  for (const c of cases) {
    const deps = testDeps();
    await addQuota(deps.store, 'q', c.hard, c.used, c.spec);
    const v = await new ResourceQuota(deps).validate(attrs(c.resource, c.obj));
    assert.deepEqual(v, { allowed: false, code: 403, reason: c.want }, c.want);
  }
});

test('the chain turns a denial into the 403 Status upstream answers', async () => {
  const deps = testDeps();
  await addQuota(deps.store, 'q', { pods: '1' }, { pods: '1' });
  const chain = new AdmissionChain([], [new ResourceQuota(deps)]);
  await assert.rejects(chain.validate(attrs('pods', pod('p', [container('c')])), emptyOutcome()), (err: any) =>
    err.code === 403 && err.message === 'pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1');
});

test('scopes: a BestEffort quota counts only best-effort pods, Terminating only pods with a deadline', async () => {
  const deps = testDeps();
  await addQuota(deps.store, 'be', { pods: '5' }, { pods: '0' }, { scopes: ['BestEffort'] });
  await addQuota(deps.store, 'term', { pods: '5' }, { pods: '0' }, { scopes: ['Terminating'] });
  await addQuota(deps.store, 'pc', { pods: '5' }, { pods: '0' }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } });
  const rq = new ResourceQuota(deps);
  await rq.validate(attrs('pods', pod('a', [container('c')])));
  await rq.validate(attrs('pods', pod('b', [container('c', { cpu: '1' })], { activeDeadlineSeconds: 30, priorityClassName: 'high' })));
  assert.deepEqual(await used(deps.store, 'be'), { pods: '1' });
  assert.deepEqual(await used(deps.store, 'term'), { pods: '1' });
  assert.deepEqual(await used(deps.store, 'pc'), { pods: '1' });
});

test('dry runs are checked but not charged', async () => {
  const deps = testDeps();
  await addQuota(deps.store, 'q', { pods: '1' }, { pods: '0' });
  const rq = new ResourceQuota(deps);
  assert.equal((await rq.validate(attrs('pods', pod('p', [container('c')]), { dryRun: true }))).allowed, true);
  assert.deepEqual(await used(deps.store, 'q'), { pods: '0' });
});

test('an update is charged its growth only', async () => {
  const deps = testDeps();
  await addQuota(deps.store, 'q', { 'services.nodeports': '3', services: '5' }, { 'services.nodeports': '0', services: '1' });
  const rq = new ResourceQuota(deps);
  const old = { metadata: { name: 's', resourceVersion: '5' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }, { port: 81 }] } };
  const next = { metadata: { name: 's', resourceVersion: '5' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } };
  assert.equal((await rq.validate(attrs('services', next, { op: 'UPDATE', oldObject: old }))).allowed, true);
  assert.deepEqual(await used(deps.store, 'q'), { services: '1', 'services.nodeports': '2' });
});

test('100 concurrent pod creates against pods=10 admit exactly 10', async () => {
  const deps = testDeps();
  await addQuota(deps.store, 'q', { pods: '10' }, { pods: '0' });
  const rq = new ResourceQuota(deps);
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => rq.validate(attrs('pods', pod(`p${i}`, [container('c')])))));
  assert.equal(results.filter((r) => r.allowed).length, 10);
  assert.ok(results.filter((r) => !r.allowed).every((r) => r.reason === 'exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10'));
  assert.deepEqual(await used(deps.store, 'q'), { pods: '10' });
});

test('two API servers (two plugin instances) racing on one store still admit exactly 10', async () => {
  const deps = testDeps();
  await addQuota(deps.store, 'q', { pods: '10' }, { pods: '0' });
  const servers = [new ResourceQuota(deps), new ResourceQuota(deps)];
  const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => servers[i % 2]!.validate(attrs('pods', pod(`p${i}`, [container('c')])))));
  const allowed = results.filter((r) => r.status === 'fulfilled' && r.value.allowed).length;
  assert.ok(allowed <= 10, `admitted ${allowed}`);
  assert.deepEqual(await used(deps.store, 'q'), { pods: String(allowed) });
});

test('namespaces, subresources and ignored kinds are not charged', async () => {
  const rq = new ResourceQuota(testDeps());
  assert.equal(rq.handles(attrs('namespaces', { metadata: { name: 'x' } })), false);
  assert.equal(rq.handles(attrs('pods', pod('p', []), { op: 'UPDATE', subresource: 'status', oldObject: pod('p', []) })), false);
  assert.equal(rq.handles(attrs('events', { metadata: { name: 'e' } })), false);
  assert.equal(rq.handles(attrs('configmaps', { metadata: { name: 'c' } }, { op: 'UPDATE' })), false);
  assert.equal(rq.handles(attrs('configmaps', { metadata: { name: 'c' } })), true);
});
