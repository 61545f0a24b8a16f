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
