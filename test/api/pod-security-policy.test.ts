import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';

/** PodSecurityPolicy through the API server: `use` decides, the admitting policy mutates and is recorded. */
let c: TestCluster;
before(async () => {
  c = await startTestCluster({ admission: { enable: ['PodSecurityPolicy'] } });
  const psp = {
    apiVersion: 'policy/v1beta1',
    kind: 'PodSecurityPolicy',
    metadata: { name: 'restricted-users' },
    spec: {
      privileged: false,
      seLinux: { rule: 'RunAsAny' },
      runAsUser: { rule: 'MustRunAs', ranges: [{ min: 1000, max: 2000 }] },
      supplementalGroups: { rule: 'RunAsAny' },
      fsGroup: { rule: 'RunAsAny' },
      volumes: ['*'],
    },
  };
  assert.equal((await c.admin.post('/apis/policy/v1beta1/podsecuritypolicies', psp)).status, 201);
  // Everyone authenticated may use it (as a cluster admin would grant it).
  await c.admin.post('/apis/rbac.authorization.k8s.io/v1/clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'psp-user' }, rules: [{ apiGroups: ['policy'], resources: ['podsecuritypolicies'], verbs: ['use'], resourceNames: ['restricted-users'] }] });
  await c.admin.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'psp-user' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'psp-user' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }] });
});
after(async () => {
  await c.close();
});

test('the admitting policy sets runAsUser and is recorded; a privileged pod is refused', async () => {
  let r;
  for (let i = 0; i < 50; i++) {
    r = await c.admin.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'psp-pod' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    if (r.status !== 403 || !/serviceaccount/.test(r.text)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(r!.status, 201, r!.text);
  assert.equal(r!.body.metadata.annotations['kubernetes.io/psp'], 'restricted-users');
  const runAsUser = r!.body.spec.securityContext?.runAsUser ?? r!.body.spec.containers[0].securityContext?.runAsUser;
  assert.equal(runAsUser, 1000);
  const priv = await c.admin.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'psp-priv' }, spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } });
  assert.equal(priv.status, 403);
  assert.match(priv.body.message, /PodSecurityPolicy: unable to admit pod: \[.*Privileged containers are not allowed/);
});

test('kubectl shows the PSP mutation', { skip: kubectlSkip(33) }, async () => {
  const kc = join(c.dataDir, 'admin.kubeconfig');
  const r = await runKubectl(33, kc, ['run', 'kpsp', '--image=busybox', '--restart=Never', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/psp} {.spec.containers[0].securityContext.runAsUser}{.spec.securityContext.runAsUser}']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^restricted-users 1000/);
});
