import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServiceAccountController } from './service-account.ts';
import { testDeps } from '../../admission/quota/testing.ts';

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('every active namespace gets a default ServiceAccount and the root CA ConfigMap, restored when deleted', async () => {
  const deps = testDeps();
  const { store } = deps;
  await store.create('/registry/core/namespaces/a', { metadata: { name: 'a' }, status: { phase: 'Active' } });
  await store.create('/registry/core/namespaces/gone', { metadata: { name: 'gone', deletionTimestamp: '2025-01-01T00:00:00Z' }, status: { phase: 'Terminating' } });
  const stop = startServiceAccountController(deps, { caPem: 'PEM' });
  try {
    const sa = await waitFor(() => store.get<any>('/registry/core/serviceaccounts/a/default'), 'default SA');
    assert.deepEqual(sa.value, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'a', uid: sa.value.metadata.uid, creationTimestamp: '2025-01-01T00:00:00Z' } });
    const cm = await waitFor(() => store.get<any>('/registry/core/configmaps/a/kube-root-ca.crt'), 'root CA');
    assert.deepEqual(cm.value.data, { 'ca.crt': 'PEM' });

    await store.create('/registry/core/namespaces/b', { metadata: { name: 'b' }, status: { phase: 'Active' } });
    await waitFor(() => store.get('/registry/core/serviceaccounts/b/default'), 'SA in new namespace');

    await store.delete('/registry/core/serviceaccounts/a/default');
    await waitFor(() => store.get('/registry/core/serviceaccounts/a/default'), 'SA recreated');

    await store.update(cm.key, { ...cm.value, data: { 'ca.crt': 'tampered' } }, cm.modRevision);
    await waitFor(async () => ((await store.get<any>(cm.key))?.value.data['ca.crt'] === 'PEM' ? true : undefined), 'CA restored');

    assert.equal(await store.get('/registry/core/serviceaccounts/gone/default'), undefined);
  } finally {
    stop();
  }
});
