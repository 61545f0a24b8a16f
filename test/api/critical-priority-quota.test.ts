/**
 * Limiting the critical PriorityClasses as upstream documents it (and GKE does): the ResourceQuota
 * plugin's limitedResources in --admission-control-config-file. A pod naming a limited class is
 * admitted only in a namespace with a ResourceQuota whose PriorityClass scope covers it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { loadResourceQuotaConfig } from '../../src/admission/quota/config-file.ts';

const CONFIG = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ResourceQuota
  configuration:
    apiVersion: resourcequota.admission.k8s.io/v1beta1
    kind: Configuration
    limitedResources:
    - resource: pods
      matchScopes:
      - scopeName: PriorityClass
        operator: In
        values: [system-node-critical, system-cluster-critical]
`;

let c: TestCluster;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rq-config-'));
  writeFileSync(join(dir, 'admission.yaml'), CONFIG);
  c = await startTestCluster({ admission: { resourceQuota: loadResourceQuotaConfig(join(dir, 'admission.yaml')) } });
  await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 't1' } });
  await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/t1/rolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'edit' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'User', name: 'tina', apiGroup: 'rbac.authorization.k8s.io' }],
  });
});
after(async () => {
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });

test('a tenant\'s pod naming system-cluster-critical is refused without a covering quota; kube-system\'s is admitted with one', async () => {
  const tina = c.as('tina');
  try {
    const crit = await tina.post('/api/v1/namespaces/t1/pods', pod('crit', { priorityClassName: 'system-cluster-critical' }));
    assert.equal(crit.status, 500, crit.text);
    assert.equal(crit.body.message, 'insufficient quota to match these scopes: [{PriorityClass In [system-node-critical system-cluster-critical]}]');
    assert.equal(crit.body.reason, undefined, 'a plain error: StatusReasonUnknown');
    const plain = await tina.post('/api/v1/namespaces/t1/pods', pod('plain'));
    assert.equal(plain.status, 201, plain.text);
  } finally {
    tina.close();
  }
  const refused = await c.admin.post('/api/v1/namespaces/kube-system/pods', pod('dns', { priorityClassName: 'system-cluster-critical' }));
  assert.equal(refused.status, 500, 'the admin too: the namespace decides, not the user');
  const q = await c.admin.post('/api/v1/namespaces/kube-system/resourcequotas', {
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'critical-pods' },
    spec: { hard: { pods: '1000' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical', 'system-cluster-critical'] }] } },
  });
  assert.equal(q.status, 201, q.text);
  for (let i = 0; i < 200 && !(await c.admin.get('/api/v1/namespaces/kube-system/resourcequotas/critical-pods')).body.status?.hard; i++) await new Promise((r) => setTimeout(r, 20));
  const admitted = await c.admin.post('/api/v1/namespaces/kube-system/pods', pod('dns', { priorityClassName: 'system-cluster-critical' }));
  assert.equal(admitted.status, 201, admitted.text);
  assert.equal(admitted.body.spec.priority, 2000000000);
  const used = await c.admin.get('/api/v1/namespaces/kube-system/resourcequotas/critical-pods');
  assert.equal(used.body.status.used.pods, '1');
});
