import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient } from '../client/fake.ts';
import { NodeInfo } from './node-info.ts';
import { defaultProfile } from './profile.ts';
import { Framework } from './runtime.ts';
import { makeNode, makePod } from './testing.ts';
import { fitErrorMessage } from './fit-error.ts';
import { Status } from './framework.ts';

const CP_TAINT = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

function fw(random = () => 0.5) {
  return new Framework(defaultProfile(), { client: new FakeApiClient(), random, now: () => 0 });
}

function infos(...nodes: Array<[ReturnType<typeof makeNode>, ...ReturnType<typeof makePod>[]]>): NodeInfo[] {
  return nodes.map(([n, ...pods]) => {
    const ni = new NodeInfo(n);
    for (const p of pods) ni.addPod(p);
    return ni;
  });
}

test('FailedScheduling message for a mixed cluster matches upstream, reasons counted and sorted', async () => {
  const nodes = infos(
    [makeNode('worker', { cpu: '2' }), makePod('busy', { cpu: '1500m', node: 'worker' })],
    [makeNode('cp1', { taints: [CP_TAINT] })],
    [makeNode('cp2', { taints: [CP_TAINT] })],
  );
  const r = await fw().schedulePod(makePod('big', { cpu: '1' }), nodes);
  assert.equal(r.kind, 'unschedulable');
  // The worker's busy pod has the same priority (0), so preemption finds no victims there.
  assert.equal(r.kind === 'unschedulable' && r.message,
    '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. ' +
    'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.');
});

test('FailedScheduling: nothing preemption could help, cordoned, selector, ports, several reasons per node', async () => {
  const nodes = infos(
    [makeNode('a', { unschedulable: true })],
    [makeNode('b', { labels: { disk: 'hdd' } })],
    [makeNode('c', { cpu: '100m', memory: '10Mi', labels: { disk: 'ssd' } })],
  );
  const pod = makePod('p', { cpu: '1', memory: '1Gi', spec: { nodeSelector: { disk: 'ssd' } } });
  const r = await fw().schedulePod(pod, nodes);
  assert.equal(r.kind === 'unschedulable' && r.message,
    "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable. " +
    'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
  const never = makePod('n', { cpu: '1', spec: { preemptionPolicy: 'Never', nodeSelector: { disk: 'ssd' } } });
  const r2 = await fw().schedulePod(never, nodes);
  assert.match(r2.kind === 'unschedulable' ? r2.message : '', /\. preemption: not eligible due to preemptionPolicy=Never\.$/);
});

test('fitErrorMessage: prefilter message replaces the histogram; absent nodes count', () => {
  const statuses = new Map([['a', new Status('Unschedulable', ['x'])]]);
  assert.equal(fitErrorMessage(2, { statuses, preFilterMsg: 'pvc not found' }), '0/2 nodes are available: pvc not found.');
  assert.equal(fitErrorMessage(3, { statuses, absentStatus: new Status('UnschedulableAndUnresolvable', ['y']) }), '0/3 nodes are available: 1 x, 2 y.');
  // "10 a" sorts before "2 b" as strings, as Go's sort.Strings does.
  const many = new Map<string, Status>();
  for (let i = 0; i < 10; i++) many.set(`n${i}`, new Status('Unschedulable', ['b']));
  many.set('z1', new Status('Unschedulable', ['a']));
  many.set('z2', new Status('Unschedulable', ['a']));
  assert.equal(fitErrorMessage(12, { statuses: many }), '0/12 nodes are available: 10 b, 2 a.');
});

test('the highest total score wins; ties are broken by the injected random source', async () => {
  const nodes = infos([makeNode('a')], [makeNode('b')], [makeNode('c')]);
  const pod = makePod('p', { cpu: '100m' });
  const first = await fw(() => 0.99).schedulePod(pod, nodes);
  const last = await fw(() => 0).schedulePod(pod, nodes);
  assert.deepEqual([first.kind === 'fit' && first.node, last.kind === 'fit' && last.node], ['a', 'c']);
  // A loaded node loses to an empty one whatever the random source says.
  const loaded = infos([makeNode('a'), makePod('x', { cpu: '3', node: 'a' })], [makeNode('b')]);
  for (const rnd of [0, 0.99]) {
    const r = await fw(() => rnd).schedulePod(pod, loaded);
    assert.equal(r.kind === 'fit' && r.node, 'b');
  }
});

test('numFeasibleNodesToFind follows upstream adaptive percentage', () => {
  const f = fw();
  assert.equal(f.numFeasibleNodesToFind(50), 50);
  assert.equal(f.numFeasibleNodesToFind(500), 230); // 50 - 4 = 46%
  assert.equal(f.numFeasibleNodesToFind(5000), 500); // 50 - 40 = 10%
  assert.equal(f.numFeasibleNodesToFind(1000), 420);
});

test('preemption evicts the lower-priority pod and nominates its node', async () => {
  const client = new FakeApiClient();
  const victim = makePod('low', { cpu: '1500m', node: 'w', priority: 0 });
  client.seed({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true }, victim);
  const f = new Framework(defaultProfile(), { client, random: () => 0, now: () => 0 });
  const nodes = infos([makeNode('w', { cpu: '2' }), victim]);
  const r = await f.schedulePod(makePod('high', { cpu: '1', priority: 1000 }), nodes);
  assert.equal(r.kind, 'unschedulable');
  assert.equal(r.kind === 'unschedulable' && r.nominatedNodeName, 'w');
  assert.ok(client.actions.some((a) => a.verb === 'delete' && a.name === 'low'));
  const patch = client.actions.find((a) => a.verb === 'patch' && a.name === 'low');
  assert.equal((patch?.object as any).status.conditions[0].reason, 'PreemptionByScheduler');
});
