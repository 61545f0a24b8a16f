import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, type GVK } from './index.ts';
import { imageTag } from './pod.ts';

type Obj = Record<string, any>;
const g = (group: string, kind: string, version = 'v1'): GVK => ({ group, version, kind });
function defaulted(gvk: GVK, obj: Obj): Obj {
  applyDefaults(gvk, obj);
  return obj;
}

describe('imageTag / imagePullPolicy', () => {
  const cases: [string, string, string][] = [
    ['nginx', 'latest', 'Always'],
    ['nginx:latest', 'latest', 'Always'],
    ['nginx:1.25', '1.25', 'IfNotPresent'],
    ['registry:5000/team/app', 'latest', 'Always'],
    ['registry:5000/team/app:v2', 'v2', 'IfNotPresent'],
    ['app@sha256:' + 'a'.repeat(64), '', 'IfNotPresent'],
    ['Upper/Case', '', 'IfNotPresent'],
  ];
  for (const [image, tag, policy] of cases) {
    test(image, () => {
      assert.equal(imageTag(image), tag);
      const pod = defaulted(g('', 'Pod'), { spec: { containers: [{ name: 'c', image }] } });
      assert.equal(pod.spec.containers[0].imagePullPolicy, policy);
    });
  }
});

test('Pod defaults', () => {
  const pod = defaulted(g('', 'Pod'), {
    spec: {
      containers: [
        {
          name: 'c',
          image: 'nginx:1',
          ports: [{ containerPort: 80 }],
          resources: { limits: { cpu: '1' } },
          livenessProbe: { httpGet: { port: 80 } },
          env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        },
      ],
      volumes: [{ name: 'v' }, { name: 's', secret: { secretName: 'x' } }],
    },
  });
  assert.deepEqual(
    { ...pod.spec, containers: undefined, volumes: undefined },
    {
      containers: undefined,
      volumes: undefined,
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
    },
  );
  const c = pod.spec.containers[0];
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.ports[0].protocol, 'TCP');
  assert.deepEqual(c.resources.requests, { cpu: '1' });
  assert.deepEqual(c.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(pod.spec.volumes, [{ name: 'v', emptyDir: {} }, { name: 's', secret: { secretName: 'x', defaultMode: 420 } }]);
});

test('templates get pod-spec defaults but not Pod-only ones', () => {
  const d = defaulted(g('apps', 'Deployment'), { spec: { template: { spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1' } } }] } } } });
  assert.equal(d.spec.template.spec.restartPolicy, 'Always');
  assert.equal(d.spec.template.spec.enableServiceLinks, undefined);
  assert.equal(d.spec.template.spec.containers[0].resources.requests, undefined);
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
});

describe('kind defaults', () => {
  const cases: [string, GVK, Obj, (o: Obj) => unknown, unknown][] = [
    ['service', g('', 'Service'), { spec: { ports: [{ port: 80 }] } }, (o) => o.spec, {
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
    }],
    ['nodeport service', g('', 'Service'), { spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] } }, (o) => [o.spec.externalTrafficPolicy, o.spec.ports[0].targetPort], ['Cluster', 'http']],
    ['externalname service', g('', 'Service'), { spec: { type: 'ExternalName', externalName: 'x.example.com' } }, (o) => [o.spec.ipFamilyPolicy, o.spec.internalTrafficPolicy], [undefined, undefined]],
    ['secret', g('', 'Secret'), { stringData: { a: 'hi' } }, (o) => [o.type, o.data, o.stringData], ['Opaque', { a: 'aGk=' }, undefined]],
    ['namespace', g('', 'Namespace'), { metadata: { name: 'team' } }, (o) => [o.metadata.labels, o.spec.finalizers, o.status.phase], [{ 'kubernetes.io/metadata.name': 'team' }, ['kubernetes'], 'Active']],
    ['pvc', g('', 'PersistentVolumeClaim'), { spec: {} }, (o) => [o.spec.volumeMode, o.status.phase], ['Filesystem', 'Pending']],
    ['pv', g('', 'PersistentVolume'), { spec: {} }, (o) => [o.spec.persistentVolumeReclaimPolicy, o.spec.volumeMode], ['Retain', 'Filesystem']],
    ['statefulset', g('apps', 'StatefulSet'), { spec: { template: {} } }, (o) => [o.spec.podManagementPolicy, o.spec.updateStrategy, o.spec.replicas, o.spec.revisionHistoryLimit, o.spec.persistentVolumeClaimRetentionPolicy], [
      'OrderedReady', { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, 1, 10, { whenDeleted: 'Retain', whenScaled: 'Retain' },
    ]],
    ['daemonset', g('apps', 'DaemonSet'), { spec: { template: {} } }, (o) => o.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }],
    ['job', g('batch', 'Job'), { metadata: { name: 'j', uid: 'u' }, spec: { template: {} } }, (o) => [o.spec.completions, o.spec.parallelism, o.spec.backoffLimit, o.spec.completionMode, o.spec.suspend, o.spec.selector, o.spec.template.metadata.labels], [
      1, 1, 6, 'NonIndexed', false, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
      { 'controller-uid': 'u', 'batch.kubernetes.io/controller-uid': 'u', 'job-name': 'j', 'batch.kubernetes.io/job-name': 'j' },
    ]],
    ['job with parallelism only', g('batch', 'Job'), { spec: { parallelism: 3, template: {} } }, (o) => [o.spec.completions, o.spec.parallelism], [undefined, 3]],
    ['cronjob', g('batch', 'CronJob'), { spec: { schedule: '* * * * *', jobTemplate: {} } }, (o) => [o.spec.concurrencyPolicy, o.spec.suspend, o.spec.successfulJobsHistoryLimit, o.spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]],
    ['networkpolicy ingress only', g('networking.k8s.io', 'NetworkPolicy'), { spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] } }, (o) => [o.spec.policyTypes, o.spec.ingress[0].ports[0].protocol], [['Ingress'], 'TCP']],
    ['networkpolicy with egress', g('networking.k8s.io', 'NetworkPolicy'), { spec: { podSelector: {}, egress: [{}] } }, (o) => o.spec.policyTypes, ['Ingress', 'Egress']],
    ['rolebinding', g('rbac.authorization.k8s.io', 'RoleBinding'), { roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'a' }, { kind: 'ServiceAccount', name: 's' }] }, (o) => [o.roleRef.apiGroup, o.subjects[0].apiGroup, o.subjects[1].apiGroup], ['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', '']],
    ['mutating webhook', g('admissionregistration.k8s.io', 'MutatingWebhookConfiguration'), { webhooks: [{ name: 'a.b.c', rules: [{ operations: ['CREATE'] }], clientConfig: { service: { name: 's', namespace: 'n' } } }] }, (o) => o.webhooks[0], {
      name: 'a.b.c', rules: [{ operations: ['CREATE'], scope: '*' }], clientConfig: { service: { name: 's', namespace: 'n', port: 443 } },
      failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 10, reinvocationPolicy: 'Never',
    }],
    ['validating webhook has no reinvocationPolicy', g('admissionregistration.k8s.io', 'ValidatingWebhookConfiguration'), { webhooks: [{ name: 'a.b.c' }] }, (o) => [o.webhooks[0].reinvocationPolicy, o.webhooks[0].timeoutSeconds], [undefined, 10]],
    ['crd', g('apiextensions.k8s.io', 'CustomResourceDefinition'), { spec: { names: { kind: 'Widget', plural: 'widgets' }, versions: [{ name: 'v1', storage: false }, { name: 'v2', storage: true }] } }, (o) => [o.spec.names.singular, o.spec.names.listKind, o.spec.conversion, o.status.storedVersions], ['widget', 'WidgetList', { strategy: 'None' }, ['v2']]],
    ['lease untouched', g('coordination.k8s.io', 'Lease'), { spec: {} }, (o) => o, { spec: {} }],
    ['unknown kind untouched', g('example.com', 'Widget'), { spec: {} }, (o) => o, { spec: {} }],
  ];
  for (const [name, gvk, obj, pick, want] of cases) test(name, () => assert.deepEqual(pick(defaulted(gvk, obj)), want));
});
