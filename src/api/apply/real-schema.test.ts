import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from '../schema/schema.ts';
import { serverSideApply } from './apply.ts';
import { updateManagedFields } from './update.ts';

type Obj = Record<string, any>;
const schema = loadSchema();
const typeName = schema.typeNameForKind({ group: 'apps', version: 'v1', kind: 'Deployment' });
const T0 = '2022-01-23T14:11:53Z';

test('the generated schema knows Deployment', () => {
  assert.equal(typeof typeName, 'string');
});

test('kubectl create deployment: managedFields as a real API server records them', () => {
  const obj: Obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' }, creationTimestamp: T0, uid: 'u', resourceVersion: '1', generation: 1 },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
  };
  const mf = updateManagedFields(schema, typeName, undefined, obj, 'kubectl-create', 'Update', '', T0, { resetFields: ['status'] });
  // Recorded by a Kubernetes 1.23 API server for the same object (a public cluster dump), but
  // for the "." of rollingUpdate: a pointer upstream, which the schema cannot tell apart.
  const upstream =
    '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":{"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}}';
  assert.equal(mf.length, 1);
  assert.equal(JSON.stringify(mf[0]?.fieldsV1), upstream);
});

test('apply with the generated schema: ports keyed with the default protocol, conflicts by path', () => {
  const cfg: Obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } } },
  };
  const r = serverSideApply(schema, typeName, undefined, cfg, 'a', false, T0);
  const c = (r.managedFields[0]?.fieldsV1 as Obj)['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}'];
  assert.deepEqual(c['f:ports'], { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } });
  const other = { ...cfg, spec: { replicas: 3 } };
  assert.throws(() => serverSideApply(schema, typeName, r.object, other, 'b', false, T0), {
    message: 'Apply failed with 1 conflict: conflict with "a": .spec.replicas',
  });
});
