import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BEHAVIOR_ANNOTATION, CONDITIONS_ANNOTATION, CURRENT_METRICS_ANNOTATION, METRICS_ANNOTATION, hpaV1ToV2, hpaV2ToV1 } from './autoscaling.ts';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const q = (v: string) => v;

test('every v2 metric type survives v2 -> v1 -> v2', () => {
  const metrics = [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
    { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: q('500Mi') } } },
    { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 70 } } },
    { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: q('10') } } },
    { type: 'Object', object: { describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main' }, metric: { name: 'rps' }, target: { type: 'Value', value: q('2k') } } },
    { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'jobs' } } }, target: { type: 'AverageValue', averageValue: q('30') } } },
  ];
  const currentMetrics = [
    { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40, averageValue: '200m' } } },
    { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '7' } } },
  ];
  const behavior = { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } };
  const conditions = [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2024-05-01T12:00:00Z', reason: 'ReadyForNewScale', message: 'ok' }];
  const v2 = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h', namespace: 'default', annotations: { keep: 'me' } },
    spec: { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 9, metrics, behavior },
    status: { currentReplicas: 3, desiredReplicas: 4, currentMetrics, conditions },
  };
  const v1 = hpaV2ToV1(v2);
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 60);
  assert.equal(v1.status.currentCPUUtilizationPercentage, 40);
  assert.equal(v1.metadata.annotations.keep, 'me');
  assert.deepEqual(JSON.parse(v1.metadata.annotations[METRICS_ANNOTATION])[0], { type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } });
  assert.deepEqual(JSON.parse(v1.metadata.annotations[BEHAVIOR_ANNOTATION]), behavior);
  assert.deepEqual(JSON.parse(v1.metadata.annotations[CONDITIONS_ANNOTATION]), conditions);
  assert.equal(JSON.parse(v1.metadata.annotations[CURRENT_METRICS_ANNOTATION]).length, 1);
  const back = hpaV1ToV2(v1);
  assert.deepEqual(back.spec, v2.spec);
  assert.deepEqual(back.metadata, { name: 'h', namespace: 'default', annotations: { keep: 'me' } });
  assert.deepEqual(back.status.conditions, conditions);
  assert.deepEqual(back.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }, currentMetrics[1]]);
});

test('v1 without a CPU target has no metrics; annotations that do not parse are dropped', () => {
  const v2 = hpaV1ToV2({ apiVersion: 'autoscaling/v1', metadata: { name: 'h', annotations: { [METRICS_ANNOTATION]: '{not json', [BEHAVIOR_ANNOTATION]: '[]' } }, spec: { scaleTargetRef: ref, maxReplicas: 3 } });
  assert.equal(v2.spec.metrics, undefined);
  assert.equal(v2.spec.behavior, undefined);
  assert.equal(v2.metadata.annotations, undefined);
});
