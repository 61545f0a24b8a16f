/**
 * Status writes are validated as upstream's status strategies: the status and the metadata, not the
 * stored spec again. A Deployment stored before a template rule existed (here written straight into
 * the store, as an older server would have) must still take its controller's status writes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { CORE_CONTROLLERS } from '../../src/cluster/controllers/registry.ts';

let c: TestCluster;
before(async () => {
  // No controllers: this test plays the deployment controller itself.
  c = await startTestCluster({ controllers: CORE_CONTROLLERS.map((n) => `-${n}`) });
});
after(async () => {
  await c?.close();
});

const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const JOBS = '/apis/batch/v1/namespaces/default/jobs';
/** Refused on create since the securityContext rules: privileged with allowPrivilegeEscalation false. */
const badContainer = {
  name: 'app',
  image: 'nginx',
  imagePullPolicy: 'Always',
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  securityContext: { privileged: true, allowPrivilegeEscalation: false },
};
const podSpec = (restartPolicy: string) => ({ containers: [badContainer], restartPolicy, dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', securityContext: {} });
const meta = (name: string) => ({ name, namespace: 'default', uid: `uid-${name}`, generation: 1, creationTimestamp: '2024-01-01T00:00:00Z' });

async function seedDeployment(name: string): Promise<void> {
  await c.cp.store.create(`/registry/apps/deployments/default/${name}`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec('Always') },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
  });
}

test('a Deployment stored with a now-invalid template takes /status PUTs; the main resource still refuses it', async () => {
  await seedDeployment('old-web');
  const got = await c.admin.get(`${DEPLOYS}/old-web`);
  assert.equal(got.status, 200, got.text);

  const spec = await c.admin.req('PUT', `${DEPLOYS}/old-web`, { body: { ...got.body, metadata: { ...got.body.metadata, labels: { touched: 'yes' } } } });
  assert.equal(spec.status, 422, spec.text);
  assert.match(spec.body.message, /cannot set `allowPrivilegeEscalation` to false and `privileged` to true/);

  const status = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
  const put = await c.admin.req('PUT', `${DEPLOYS}/old-web/status`, { body: { ...got.body, status } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(
    { replicas: put.body.status.replicas, availableReplicas: put.body.status.availableReplicas },
    { replicas: 1, availableReplicas: 1 },
  );
  // The stored spec is kept, template and all.
  assert.equal(put.body.spec.template.spec.containers[0].securityContext.privileged, true);
});

test("a bad Deployment status is a 422 with upstream's message", async () => {
  await seedDeployment('bad-status');
  const got = await c.admin.get(`${DEPLOYS}/bad-status`);
  const put = await c.admin.req('PUT', `${DEPLOYS}/bad-status/status`, { body: { ...got.body, status: { replicas: 1, readyReplicas: 2, availableReplicas: -1 } } });
  assert.equal(put.status, 422, put.text);
  assert.equal(
    put.body.message,
    'Deployment.apps "bad-status" is invalid: [status.availableReplicas: Invalid value: -1: must be greater than or equal to 0, status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas]',
  );
});

test('a Job stored with a now-invalid template takes a status merge patch; a decreasing failed counter is refused', async () => {
  const uidLabel = { 'batch.kubernetes.io/controller-uid': 'uid-old-job', 'controller-uid': 'uid-old-job', 'batch.kubernetes.io/job-name': 'old-job', 'job-name': 'old-job' };
  await c.cp.store.create('/registry/batch/jobs/default/old-job', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...meta('old-job'), uid: 'uid-old-job', labels: uidLabel },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      manualSelector: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-old-job' } },
      template: { metadata: { labels: uidLabel }, spec: podSpec('Never') },
    },
    status: {},
  });
  const mp = 'application/merge-patch+json';
  const ok = await c.admin.patch(`${JOBS}/old-job/status`, { status: { active: 1, failed: 2, startTime: '2026-01-01T00:00:00Z' } }, mp);
  assert.equal(ok.status, 200, ok.text);
  const down = await c.admin.patch(`${JOBS}/old-job/status`, { status: { failed: 1 } }, mp);
  assert.equal(down.status, 422, down.text);
  assert.equal(down.body.message, 'Job.batch "old-job" is invalid: status.failed: Invalid value: 1: cannot decrease the failed counter');
});

test('a LoadBalancer Service\'s status: an ingress IP without ipMode is stored as VIP (upstream\'s defaulting), an unknown ipMode is a 422', async () => {
  const SVCS = '/api/v1/namespaces/default/services';
  const created = await c.admin.post(SVCS, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
  assert.equal(created.status, 201, created.text);
  const put = await c.admin.put(`${SVCS}/lb/status`, { ...created.body, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }, { ip: '192.0.2.11', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }] } } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.status.loadBalancer.ingress, [{ ip: '192.0.2.10', ipMode: 'VIP' }, { ip: '192.0.2.11', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }]);
  assert.deepEqual((await c.admin.get(`${SVCS}/lb`)).body.status.loadBalancer.ingress[0], { ip: '192.0.2.10', ipMode: 'VIP' });
  const bad = await c.admin.patch(`${SVCS}/lb/status`, { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'Magic' }] } } }, 'application/merge-patch+json');
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual(bad.body.details.causes, [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "Magic": supported values: "Proxy", "VIP"', field: 'status.loadBalancer.ingress[0].ipMode' }]);
});
