import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile, startTestCluster } from '../helpers/cluster.ts';

/**
 * securityContext validation through the API: a bad pod or pod template is refused with 422 Invalid
 * and upstream's causes before anything is stored; what pods carry today is still accepted.
 */
const c = clusterPerFile();

const container = (extra: Record<string, unknown> = {}) => ({ name: 'c', image: 'busybox', ...extra });

test('a pod with a bad sysctl name, a host-network sysctl, a bad runAsUser, seccomp and hostPort is 422 with each cause; nothing is stored', async () => {
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sc-bad' },
    spec: {
      hostNetwork: true,
      securityContext: { runAsUser: -1, sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }, { name: 'kernel/../x', value: '1' }] },
      containers: [container({ ports: [{ containerPort: 8080, hostPort: 9090 }], securityContext: { seccompProfile: { type: 'Localhost' } } })],
    },
  };
  const res = await c.admin.post('/api/v1/namespaces/default/pods', pod);
  assert.equal(res.status, 422, res.text);
  assert.equal(res.body.reason, 'Invalid');
  const re = '^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$';
  assert.deepEqual(res.body.details.causes, [
    { reason: 'FieldValueRequired', message: 'Required value: must be set when seccomp type is Localhost', field: 'spec.containers[0].securityContext.seccompProfile.localhostProfile' },
    { reason: 'FieldValueInvalid', message: 'Invalid value: 9090: must match `containerPort` when `hostNetwork` is true', field: 'spec.containers[0].ports[0].hostPort' },
    { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be between 0 and 2147483647, inclusive', field: 'spec.securityContext.runAsUser' },
    { reason: 'FieldValueInvalid', message: "Invalid value: \"net.ipv4.ip_forward\": may not be specified when 'hostNetwork' is true", field: 'spec.securityContext.sysctls[0].name' },
    { reason: 'FieldValueInvalid', message: `Invalid value: "kernel/../x": must have at most 253 characters and match regex ${re}`, field: 'spec.securityContext.sysctls[1].name' },
  ]);
  assert.match(res.body.message, /^Pod "sc-bad" is invalid: \[spec\.containers\[0\]\.securityContext\.seccompProfile\.localhostProfile: Required value/);
  assert.equal((await c.admin.get('/api/v1/namespaces/default/pods/sc-bad')).status, 404);
});

test('a Deployment\'s pod template gets the same checks (allowPrivilegeEscalation false with privileged)', async () => {
  const deploy = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'sc-deploy' },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } }, spec: { containers: [container({ securityContext: { privileged: true, allowPrivilegeEscalation: false } })] } },
    },
  };
  const res = await c.admin.post('/apis/apps/v1/namespaces/default/deployments', deploy);
  assert.equal(res.status, 422, res.text);
  // Without --allow-privileged (upstream's default) the privileged request itself is refused first.
  assert.deepEqual(res.body.details.causes.map((x: { field: string }) => x.field), ['spec.template.spec.containers[0].securityContext.privileged', 'spec.template.spec.containers[0].securityContext']);
  assert.deepEqual(res.body.details.causes[0], { reason: 'FieldValueForbidden', message: 'Forbidden: disallowed by cluster policy', field: 'spec.template.spec.containers[0].securityContext.privileged' });
  assert.match(res.body.details.causes[1].message, /^Invalid value: core\.SecurityContext\{.*Privileged:\(\*bool\)\(true\).*\}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true$/);
  // hostNetwork with the hostPort left out is fine in a template (filled in when the pod is made).
  deploy.spec.template.spec = { hostNetwork: true, containers: [container({ ports: [{ containerPort: 80 }] })] } as never;
  assert.equal((await c.admin.post('/apis/apps/v1/namespaces/default/deployments', deploy)).status, 201);
});

test('pods as tests and kubectl make them today are accepted: restricted contexts, safe sysctls, host namespaces, defaulted host ports', async () => {
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sc-ok' },
    spec: {
      hostNetwork: true, hostPID: true, hostIPC: true,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } },
      containers: [container({ ports: [{ containerPort: 8080 }], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, appArmorProfile: { type: 'RuntimeDefault' } } })],
    },
  };
  const res = await c.admin.post('/api/v1/namespaces/default/pods', pod);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.spec.containers[0].ports[0].hostPort, 8080);
  const safe = { ...pod, metadata: { name: 'sc-sysctl' }, spec: { securityContext: { sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1' }, { name: 'kernel.shm_rmid_forced', value: '1' }] }, containers: [container()] } };
  assert.equal((await c.admin.post('/api/v1/namespaces/default/pods', safe)).status, 201);
});

test('--allow-privileged: without it (the default, as kube-apiserver) a privileged container or a hostProcess pod is 422 "disallowed by cluster policy"; with it both are created', async () => {
  const priv = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sc-priv' }, spec: { containers: [container({ securityContext: { privileged: true } })] } };
  const hostProcess = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sc-hostprocess' },
    spec: { os: { name: 'windows' }, hostNetwork: true, securityContext: { windowsOptions: { hostProcess: true } }, containers: [container()] },
  };
  const refused = await c.admin.post('/api/v1/namespaces/default/pods', priv);
  assert.equal(refused.status, 422, refused.text);
  assert.equal(refused.body.message, 'Pod "sc-priv" is invalid: spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy');
  assert.deepEqual(refused.body.details.causes, [{ reason: 'FieldValueForbidden', message: 'Forbidden: disallowed by cluster policy', field: 'spec.containers[0].securityContext.privileged' }]);
  const hp = await c.admin.post('/api/v1/namespaces/default/pods', hostProcess);
  assert.equal(hp.status, 422, hp.text);
  assert.deepEqual(hp.body.details.causes, [{ reason: 'FieldValueForbidden', message: 'Forbidden: hostProcess containers are disallowed by cluster policy', field: 'spec' }]);
  // An ephemeral container asking for privileged is refused the same way (the ephemeralcontainers subresource).
  assert.equal((await c.admin.post('/api/v1/namespaces/default/pods', { ...priv, metadata: { name: 'sc-eph' }, spec: { containers: [container()] } })).status, 201);
  const eph = await c.admin.patch('/api/v1/namespaces/default/pods/sc-eph/ephemeralcontainers', { spec: { ephemeralContainers: [{ name: 'debug', image: 'busybox', securityContext: { privileged: true } }] } }, 'application/strategic-merge-patch+json');
  assert.equal(eph.status, 422, eph.text);
  assert.ok(eph.body.details.causes.some((x: { field: string; message: string }) => x.field === 'spec.ephemeralContainers[0].securityContext.privileged' && x.message === 'Forbidden: disallowed by cluster policy'), eph.text);

  const allowed = await startTestCluster({ allowPrivileged: true });
  try {
    assert.equal((await allowed.admin.post('/api/v1/namespaces/default/pods', priv)).status, 201);
    assert.equal((await allowed.admin.post('/api/v1/namespaces/default/pods', hostProcess)).status, 201);
  } finally {
    await allowed.close();
  }
  // The first server's setting is its own: it still refuses.
  assert.equal((await c.admin.post('/api/v1/namespaces/default/pods', { ...priv, metadata: { name: 'sc-priv2' } })).status, 422);
});
