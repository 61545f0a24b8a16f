// Cases from upstream's plugins/noderesources/fit_test.go (TestEnoughRequests) and the scorers' tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../testing.ts';
import { balancedAllocation, balancedScore, leastAllocatedScore, nodeResourcesFit, DEFAULT_RESOURCES } from './node-resources-fit.ts';
import { podRequests } from '../resources.ts';

// makeAllocatableResources(10, 20, 32, 5, 20, 5): 10 millicores, 20 bytes, 32 pods, 5 example.com/aaa, 20 ephemeral.
const alloc = { cpu: '10m', memory: '20', pods: '32', extra: { 'example.com/aaa': '5', 'ephemeral-storage': '20', 'hugepages-2Mi': '5' } };
const withUsed = (cpu: number, mem: number) => {
  const ni = new NodeInfo(makeNode('n', alloc));
  ni.addPod(makePod('existing', { cpu: `${cpu}m`, memory: `${mem}` }));
  return ni;
};
const run = (pod: ReturnType<typeof makePod>, ni: NodeInfo) => {
  const pl = nodeResourcesFit();
  const state = new Map();
  pl.preFilter(state, pod, [ni]);
  const s = pl.filter(state, pod, ni);
  return s ? { code: s.code, reasons: [...s.reasons] } : undefined;
};

test('NodeResourcesFit filter: upstream TestEnoughRequests cases', () => {
  const cases: Array<[string, ReturnType<typeof makePod>, NodeInfo, ReturnType<typeof run>]> = [
    ['no resources requested always fits', makePod('p'), withUsed(10, 20), undefined],
    ['too many resources fails', makePod('p', { cpu: '1m', memory: '1' }), withUsed(10, 20), { code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] }],
    ['too many resources fails due to init container cpu', { ...makePod('p', { cpu: '1m', memory: '1' }), spec: { ...makePod('p', { cpu: '1m', memory: '1' }).spec, initContainers: [{ name: 'i', resources: { requests: { cpu: '3m', memory: '1' } } }] } }, withUsed(8, 19), { code: 'Unschedulable', reasons: ['Insufficient cpu'] }],
    ['both resources fit', makePod('p', { cpu: '1m', memory: '1' }), withUsed(5, 5), undefined],
    ['one resource memory fits', makePod('p', { cpu: '2m', memory: '1' }), withUsed(9, 5), { code: 'Unschedulable', reasons: ['Insufficient cpu'] }],
    ['one resource cpu fits', makePod('p', { cpu: '1m', memory: '2' }), withUsed(5, 19), { code: 'Unschedulable', reasons: ['Insufficient memory'] }],
    ['equal edge case', makePod('p', { cpu: '5m', memory: '1' }), withUsed(5, 19), undefined],
    ['extended resource fits', makePod('p', { requests: { 'example.com/aaa': '1' } }), withUsed(0, 0), undefined],
    ['extended resource capacity enforced', makePod('p', { requests: { 'example.com/aaa': '10' } }), withUsed(0, 0), { code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient example.com/aaa'] }],
    ['unknown extended resource (not on node) is insufficient', makePod('p', { requests: { 'example.com/bbb': '1' } }), withUsed(0, 0), { code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient example.com/bbb'] }],
    ['ephemeral-storage', makePod('p', { requests: { 'ephemeral-storage': '25' } }), withUsed(2, 2), { code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient ephemeral-storage'] }],
    ['request larger than the node is unresolvable', makePod('p', { cpu: '11m' }), withUsed(0, 0), { code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient cpu'] }],
  ];
  for (const [name, pod, ni, want] of cases) assert.deepEqual(run(pod, ni), want, name);
});

test('NodeResourcesFit: requests + overhead, sidecars and Too many pods', () => {
  const pod = makePod('p', { cpu: '1m', memory: '1' });
  pod.spec.overhead = { cpu: '3m', memory: '15' };
  assert.deepEqual(run(pod, withUsed(5, 5)), { code: 'Unschedulable', reasons: ['Insufficient memory'] });
  const side = makePod('s', { cpu: '1m' });
  side.spec.initContainers = [{ name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '2m' } } }, { name: 'init', resources: { requests: { cpu: '2m' } } }];
  // running: 1 + 2 (sidecar) = 3; init phase: 2 + 2 = 4 → 4m.
  assert.equal(podRequests(side).milliCPU, 4);
  const full = new NodeInfo(makeNode('n', { ...alloc, pods: '1' }));
  full.addPod(makePod('e'));
  assert.deepEqual(run(makePod('p'), full), { code: 'Unschedulable', reasons: ['Too many pods'] });
});

test('LeastAllocated and BalancedAllocation scores (upstream least_allocated_test / balanced_allocation_test)', () => {
  // "nothing scheduled, resources requested, differently sized nodes": cpu 3000/4000 mem 5000/10000 → (25 + 50) / 2 = 37.
  assert.equal(leastAllocatedScore([3000, 5000], [4000, 10000], DEFAULT_RESOURCES), 37);
  assert.equal(leastAllocatedScore([3000, 5000], [6000, 10000], DEFAULT_RESOURCES), 50);
  // fractions 0.75 and 0.5: std 0.125 → 87.
  assert.equal(balancedScore([3000, 5000], [4000, 10000]), 87);
  assert.equal(balancedScore([3000, 5000], [6000, 10000]), 100);
  const ni = new NodeInfo(makeNode('n', { cpu: '4', memory: '10000' }));
  const pod = makePod('p', { cpu: '3', memory: '5000' });
  assert.equal(nodeResourcesFit().score(new Map(), pod, ni), 37);
  assert.equal(balancedAllocation().score(new Map(), pod, ni), 87);
  // A best-effort pod skips BalancedAllocation (upstream #129138).
  assert.equal(balancedAllocation().preScore!(new Map(), makePod('be'), [ni])?.code, 'Skip');
  // LeastAllocated counts a container without requests as 100m / 200Mi.
  const big = new NodeInfo(makeNode('b', { cpu: '1', memory: `${400 * 1024 * 1024}` }));
  assert.equal(nodeResourcesFit().score(new Map(), makePod('be'), big), 70);
});
