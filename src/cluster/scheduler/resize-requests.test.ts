import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../client/types.ts';
import { NodeInfo } from './node-info.ts';
import { podRequests, scaledDown } from './resources.ts';
import { schedulerPodView } from './informer-transform.ts';

const pod = (specReq: object, statusReq?: object, extra: { infeasible?: boolean; init?: object[] } = {}): K8sObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd', uid: 'u' },
  spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i', resources: { requests: specReq } }], ...(extra.init ? { initContainers: extra.init } : {}) },
  status: {
    phase: 'Running',
    ...(extra.infeasible ? { conditions: [{ type: 'PodResizePending', status: 'True', reason: 'Infeasible' }] } : {}),
    ...(statusReq ? { containerStatuses: [{ name: 'c', image: 'i', state: { running: {} }, resources: { requests: statusReq } }] } : {}),
  },
});

test('a container counts at the larger of its spec and the resources its node reports (UseStatusResources)', () => {
  // A resize down not applied yet: the node still runs it at 1 cpu.
  assert.equal(podRequests(pod({ cpu: '500m', memory: '64Mi' }, { cpu: '1', memory: '64Mi' })).milliCPU, 1000);
  // A resize up asked (Deferred or in progress): the spec's.
  assert.equal(podRequests(pod({ cpu: '1500m' }, { cpu: '500m' })).milliCPU, 1500);
  // Infeasible: only what runs.
  assert.equal(podRequests(pod({ cpu: '4' }, { cpu: '500m' }, { infeasible: true })).milliCPU, 500);
  // Without reported resources, the spec (before in-place resize, and pods not started).
  assert.equal(podRequests(pod({ cpu: '1500m' })).milliCPU, 1500);
  // Scoring's defaults still apply to what is missing from both.
  assert.equal(podRequests(pod({}, {}), true).milliCPU, 100);
});

test('sidecars count their reported resources; other init containers do not', () => {
  const side = { name: 's', image: 'i', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } };
  const p = pod({ cpu: '100m' }, { cpu: '100m' }, { init: [side] });
  p.status!.initContainerStatuses = [{ name: 's', resources: { requests: { cpu: '300m' } } }];
  assert.equal(podRequests(p).milliCPU, 400);
  const plain = pod({ cpu: '100m' }, { cpu: '100m' }, { init: [{ ...side, restartPolicy: undefined }] });
  plain.status!.initContainerStatuses = [{ name: 's', resources: { requests: { cpu: '300m' } } }];
  assert.equal(podRequests(plain).milliCPU, 100);
});

test('NodeInfo counts a pod still running bigger than its resized spec', () => {
  const node: K8sObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { allocatable: { cpu: '2', memory: '1Gi', pods: '10' } } };
  const info = new NodeInfo(node);
  info.addPod(pod({ cpu: '500m' }, { cpu: '1500m' }));
  assert.equal(info.requested.milliCPU, 1500);
});

test('the scheduler\'s pod view keeps only the container statuses that change the requests, with the same result', () => {
  const equal = pod({ cpu: '500m', memory: '64Mi' }, { cpu: '500m', memory: '64Mi' });
  assert.equal(schedulerPodView(equal).status!.containerStatuses, undefined);
  const bigger = pod({ cpu: '500m' }, { cpu: '1' });
  assert.deepEqual(schedulerPodView(bigger).status!.containerStatuses, [{ name: 'c', resources: { requests: { cpu: '1' } } }]);
  assert.equal(podRequests(schedulerPodView(bigger)).milliCPU, 1000);
  const infeasible = pod({ cpu: '4' }, { cpu: '500m' }, { infeasible: true });
  assert.equal(podRequests(schedulerPodView(infeasible)).milliCPU, 500);
});

test('scaledDown: lowered counted requests, or Infeasible found; an update that changes neither is not counted again', () => {
  const before = pod({ cpu: '500m' }, { cpu: '1' });
  assert.equal(scaledDown(before, pod({ cpu: '500m' }, { cpu: '500m' })), true);
  assert.equal(scaledDown(before, pod({ cpu: '500m' }, { cpu: '2' })), false);
  assert.equal(scaledDown(pod({ cpu: '4' }, { cpu: '500m' }), pod({ cpu: '4' }, { cpu: '500m' }, { infeasible: true })), true);
  const same = { ...before, status: { ...before.status, phase: 'Running', conditions: [] } };
  assert.equal(scaledDown(before, same), false);
});
