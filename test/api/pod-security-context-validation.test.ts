import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/**
 * securityContext validation through the API: a bad pod or pod template is refused with 422 Invalid
 * and upstream's causes before anything is stored; what pods carry today is still accepted.
 */
let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(async () => {
  await c.close();
});

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
  assert.deepEqual(res.body.details.causes.map((x: { field: string }) => x.field), ['spec.template.spec.containers[0].securityContext']);
  assert.match(res.body.details.causes[0].message, /^Invalid value: core\.SecurityContext\{.*Privileged:\(\*bool\)\(true\).*\}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true$/);
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
