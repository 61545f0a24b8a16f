import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceQuota } from '../plugins/resource-quota.ts';
import { attrs, container, pod, testDeps } from './testing.ts';
import { loadResourceQuotaConfig, resourceQuotaConfigFrom } from './config-file.ts';
import type { Store } from '../../storage/types.ts';

const CRITICAL = { scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical', 'system-cluster-critical'] };

async function addQuota(store: Store, name: string, hard: Record<string, string>, spec: Record<string, any> = {}) {
  const used = Object.fromEntries(Object.keys(hard).map((k) => [k, '0']));
  await store.create(`/registry/core/resourcequotas/ns/${name}`, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: 'ns' }, spec: { hard, ...spec }, status: { hard, used } });
}

test('limitedResources matchScopes: a pod in a limited scope needs a quota whose scope of that name matches it', async () => {
  const deps = testDeps();
  const rq = new ResourceQuota(deps, { limitedResources: [{ apiGroup: '', resource: 'pods', matchContains: [], matchScopes: [CRITICAL] }] });
  const crit = () => attrs('pods', pod('p', [container('c')], { priorityClassName: 'system-node-critical' }));
  assert.deepEqual(await rq.validate(crit()), { allowed: false, code: 500, reason: 'insufficient quota to match these scopes: [{PriorityClass In [system-node-critical system-cluster-critical]}]' });
  assert.deepEqual(await rq.validate(attrs('pods', pod('q', [container('c')], { priorityClassName: 'batch' }))), { allowed: true });
  assert.deepEqual(await rq.validate(attrs('pods', pod('r', [container('c')]))), { allowed: true });
  // A quota of another scope does not cover it; one naming another class has the scope name but does not match the pod.
  await addQuota(deps.store, 'besteffort', { pods: '10' }, { scopes: ['BestEffort'] });
  await addQuota(deps.store, 'other', { pods: '10' }, { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['batch'] }] } });
  assert.equal((await rq.validate(crit())).allowed, false);
  await addQuota(deps.store, 'critical', { pods: '10' }, { scopeSelector: { matchExpressions: [CRITICAL] } });
  assert.deepEqual(await rq.validate(crit()), { allowed: true });
});

test('limitedResources matchContains: a resource the object uses needs a quota that limits it (403)', async () => {
  const deps = testDeps();
  const rq = new ResourceQuota(deps, { limitedResources: [{ apiGroup: '', resource: 'pods', matchContains: ['cpu'], matchScopes: [] }] });
  const v = await rq.validate(attrs('pods', pod('p', [container('c', { cpu: '100m' })])));
  assert.deepEqual(v, { allowed: false, code: 403, reason: 'insufficient quota to consume: cpu,requests.cpu' });
  assert.deepEqual(await rq.validate(attrs('pods', pod('z', [container('c')]))), { allowed: true }, 'no cpu used: nothing limited');
  await addQuota(deps.store, 'cpu', { 'requests.cpu': '1', cpu: '1' });
  assert.deepEqual(await rq.validate(attrs('pods', pod('p', [container('c', { cpu: '100m' })]))), { allowed: true });
});

test('the configuration is read from the AdmissionConfiguration file, strictly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rq-'));
  try {
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: ResourceQuota\n  path: rq.yaml\n');
    writeFileSync(join(dir, 'rq.yaml'), 'apiVersion: resourcequota.admission.k8s.io/v1\nkind: Configuration\nlimitedResources:\n- resource: pods\n  matchScopes:\n  - {scopeName: PriorityClass, operator: Exists}\n');
    assert.deepEqual(loadResourceQuotaConfig(file), { limitedResources: [{ apiGroup: '', resource: 'pods', matchContains: [], matchScopes: [{ scopeName: 'PriorityClass', operator: 'Exists' }] }] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => resourceQuotaConfigFrom({ apiVersion: 'resourcequota.admission.k8s.io/v1beta1', kind: 'Configuration', limitedResources: [{ matchContains: ['cpu'], extra: 1 }] }, 'f'), {
    message: 'f: unknown field "limitedResources[0].extra", limitedResources[0].resource: Required value',
  });
  assert.throws(() => resourceQuotaConfigFrom({ apiVersion: 'v1', kind: 'Configuration' }, 'f'), /expected kind Configuration/);
});
