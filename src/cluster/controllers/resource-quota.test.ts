import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startResourceQuotaController } from './resource-quota.ts';
import { testDeps, container, pod } from '../../admission/quota/testing.ts';
import type { Store } from '../../storage/types.ts';
import { customResourcePrefix } from '../../api/registry/resource-def.ts';

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const QUOTA = '/registry/core/resourcequotas/ns/q';

async function statusWhen(store: Store, pred: (s: any) => boolean, what: string): Promise<any> {
  return waitFor(async () => {
    const s = (await store.get<any>(QUOTA))?.value.status;
    return s && pred(s) ? s : undefined;
  }, what);
}

test('status follows spec and storage: counted on start, released on delete and on pod completion', async () => {
  const deps = testDeps();
  const { store } = deps;
  await store.create('/registry/core/pods/ns/a', pod('a', [container('c', { memory: '64Mi' })]));
  await store.create('/registry/core/pods/ns/b', pod('b', [container('c', { memory: '64Mi' })], { activeDeadlineSeconds: 10 }));
  await store.create('/registry/core/pods/other/x', pod('x', [container('c', { memory: '1Gi' })]));
  await store.create('/registry/core/configmaps/ns/c1', { metadata: { name: 'c1' } });
  await store.create(QUOTA, { metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { pods: '5', 'requests.memory': '1024Mi', 'count/configmaps': '3', 'count/deployments.apps': '1' } } });
  const stop = startResourceQuotaController(deps);
  try {
    const s = await statusWhen(store, (s) => s.used, 'first count');
    assert.deepEqual(s, {
      hard: { 'count/configmaps': '3', 'count/deployments.apps': '1', pods: '5', 'requests.memory': '1Gi' },
      used: { 'count/configmaps': '1', 'count/deployments.apps': '0', pods: '2', 'requests.memory': '128Mi' },
    });

    await store.delete('/registry/core/configmaps/ns/c1');
    await statusWhen(store, (s) => s.used['count/configmaps'] === '0', 'configmap delete released');

    const b = (await store.get<any>('/registry/core/pods/ns/b'))!;
    await store.update(b.key, { ...b.value, status: { phase: 'Succeeded' } }, b.modRevision);
    const after = await statusWhen(store, (s) => s.used.pods === '1', 'completed pod released');
    assert.equal(after.used['requests.memory'], '64Mi');

    const q = (await store.get<any>(QUOTA))!;
    await store.update(QUOTA, { ...q.value, spec: { hard: { pods: '7' } } }, q.modRevision);
    assert.deepEqual(await statusWhen(store, (s) => s.hard.pods === '7', 'hard follows spec'), { hard: { pods: '7' }, used: { pods: '1' } });
  } finally {
    stop();
  }
});

test('scoped quotas count only the pods in scope', async () => {
  const deps = testDeps();
  const { store } = deps;
  await store.create('/registry/core/pods/ns/be', pod('be', [container('c')]));
  await store.create('/registry/core/pods/ns/burst', pod('burst', [container('c', { cpu: '100m' })]));
  await store.create(QUOTA, { metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { pods: '5' }, scopes: ['NotBestEffort'] } });
  const stop = startResourceQuotaController(deps);
  try {
    assert.deepEqual((await statusWhen(store, (s) => s.used, 'count')).used, { pods: '1' });
  } finally {
    stop();
  }
});

test('deleting a custom resource releases its object count at once, from its own key space (no resync)', async () => {
  const deps = testDeps();
  const { store } = deps;
  const widgets = customResourcePrefix('example.com', 'widgets');
  await store.create(`${widgets}ns/a`, { metadata: { name: 'a', namespace: 'ns' } });
  await store.create(`${widgets}ns/b`, { metadata: { name: 'b', namespace: 'ns' } });
  // A cluster-scoped custom resource's key has as many segments as a namespaced built-in's.
  await store.create(`${customResourcePrefix('example.com', 'gizmos')}ns`, { metadata: { name: 'ns' } });
  await store.create(QUOTA, { metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { 'count/widgets.example.com': '5' } } });
  // No resync within the test: only the delete event can trigger the recount.
  const stop = startResourceQuotaController(deps, { resyncMs: 3_600_000 });
  try {
    await statusWhen(store, (s) => s.used?.['count/widgets.example.com'] === '2', 'first count');
    await store.delete(`${widgets}ns/a`);
    await statusWhen(store, (s) => s.used['count/widgets.example.com'] === '1', 'custom resource delete released');
  } finally {
    stop();
  }
});
