import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NamespaceAutoProvision } from './namespace-autoprovision.ts';
import { attrs, testDeps } from '../quota/testing.ts';

test('creating an object in a missing namespace creates the namespace', async () => {
  const deps = testDeps();
  const plugin = new NamespaceAutoProvision(deps);
  const a = attrs('configmaps', { metadata: { name: 'c' } }, { namespace: 'fresh' });
  assert.equal(plugin.handles(a), true);
  assert.equal((await plugin.admit(a)).allowed, true);
  const ns = await deps.store.get<any>('/registry/core/namespaces/fresh');
  assert.deepEqual(ns?.value, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'fresh', uid: 'uid-1', creationTimestamp: '2025-01-01T00:00:00Z', labels: { 'kubernetes.io/metadata.name': 'fresh' } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  // A second create finds it and changes nothing.
  const rev = deps.store.currentRevision();
  await plugin.admit(a);
  assert.equal(deps.store.currentRevision(), rev);
});

test('dry runs, updates, namespaces and cluster-scoped objects never provision', async () => {
  const plugin = new NamespaceAutoProvision(testDeps());
  assert.equal(plugin.handles(attrs('configmaps', { metadata: { name: 'c' } }, { dryRun: true })), false);
  assert.equal(plugin.handles(attrs('configmaps', { metadata: { name: 'c' } }, { op: 'UPDATE' })), false);
  assert.equal(plugin.handles(attrs('namespaces', { metadata: { name: 'n' } })), false);
  assert.equal(plugin.handles(attrs('configmaps', { metadata: { name: 'c' } }, { namespace: '' })), false);
});

test('an invalid namespace name is refused as its creation would be', async () => {
  const v = await new NamespaceAutoProvision(testDeps()).admit(attrs('configmaps', { metadata: { name: 'c' } }, { namespace: 'Bad_Name' }));
  assert.equal(v.allowed, false);
  assert.match(v.reason!, /^Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label/);
});
