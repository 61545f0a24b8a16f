import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';
import { CRDS, crdCondition, crdManifest, waitFor } from '../helpers/crd.ts';

/** The garbage collector (an API client of the controller manager) on custom resources. */
const c = clusterPerFile();

const WIDGETS = '/apis/gc.example.com/v1/namespaces/default/widgets';
const widget = (name: string, ownerReferences?: unknown[]) => ({ apiVersion: 'gc.example.com/v1', kind: 'Widget', metadata: { name, ...(ownerReferences ? { ownerReferences } : {}) } });
const ref = (o: any, extra: Record<string, unknown> = {}) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, ...extra }];

async function gone(path: string, seconds = 10): Promise<void> {
  for (let i = 0; i < seconds * 40; i++) {
    if ((await c.admin.get(path)).status === 404) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${path} to go`);
}

test('custom resources of a CRD created after start are collected: background and foreground', async () => {
  assert.equal((await c.admin.post(CRDS, crdManifest('gc.example.com', 'widgets', 'Widget', 'v1', 'Namespaced'))).status, 201);
  await waitFor('the CRD to be established', async () => ((await crdCondition(c.admin, 'widgets.gc.example.com', 'Established'))?.status === 'True' ? true : undefined));

  // Background: a Widget owned by a ConfigMap goes with it.
  const cm = (await c.admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'widget-owner' } })).body;
  const dep = await c.admin.post(WIDGETS, widget('w-dep', ref(cm)));
  assert.equal(dep.status, 201, dep.text);
  assert.equal((await c.admin.delete('/api/v1/namespaces/default/configmaps/widget-owner')).status, 200);
  await gone(`${WIDGETS}/w-dep`);

  // Foreground: the owner Widget waits for its blocking dependent.
  const owner = (await c.admin.post(WIDGETS, widget('w-owner'))).body;
  assert.equal((await c.admin.post(WIDGETS, widget('w-child', ref(owner, { blockOwnerDeletion: true })))).status, 201);
  const d = await c.admin.delete(`${WIDGETS}/w-owner`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
  assert.equal(d.status, 200, d.text);
  assert.ok(d.body.metadata.finalizers.includes('foregroundDeletion'));
  await gone(`${WIDGETS}/w-owner`);
  assert.equal((await c.admin.get(`${WIDGETS}/w-child`)).status, 404);
});
