import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateStatefulSet } from './workloads.ts';

const set = (mount: string): any => ({
  metadata: { name: 'db', namespace: 'default' },
  spec: {
    serviceName: 'db',
    replicas: 1,
    podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate' },
    selector: { matchLabels: { app: 'db' } },
    template: { metadata: { labels: { app: 'db' } }, spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'postgres', imagePullPolicy: 'Always', terminationMessagePolicy: 'File', volumeMounts: [{ name: mount, mountPath: '/data' }] }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  },
});

test('StatefulSet: a container may mount a volumeClaimTemplate; a mount of nothing is still refused', () => {
  assert.deepEqual(validateStatefulSet(set('data')).map((e) => e.field), []);
  assert.deepEqual(validateStatefulSet(set('nothing')).map((e) => `${e.field}: ${e.type}`), ['spec.template.spec.containers[0].volumeMounts[0].name: FieldValueNotFound']);
});

test('DaemonSet rollingUpdate: exactly one of maxUnavailable/maxSurge non-zero, with upstream ValidateRollingUpdateDaemonSet messages', async () => {
  const { validateDaemonSet } = await import('./workloads.ts');
  const { errorString } = await import('../field-errors.ts');
  const ds = (rollingUpdate: object): any => ({
    metadata: { name: 'ds', namespace: 'default' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate },
      revisionHistoryLimit: 10,
    },
  });
  const rolling = (ru: object) => validateDaemonSet(ds(ru)).map(errorString).filter((m) => m.startsWith('spec.updateStrategy'));
  assert.deepEqual(rolling({ maxUnavailable: 0, maxSurge: 0 }), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
  assert.deepEqual(rolling({ maxUnavailable: 1, maxSurge: '10%' }), ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 10%: may not be set when maxUnavailable is non-zero']);
  // The 100% rule comes first, as upstream orders them.
  assert.deepEqual(rolling({ maxUnavailable: '120%', maxSurge: 1 }), [
    'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 120%: must not be greater than 100%',
    'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero',
  ]);
  assert.deepEqual(rolling({ maxUnavailable: 1, maxSurge: 0 }), []);
});
