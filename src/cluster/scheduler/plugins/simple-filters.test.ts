// NodeName, NodeUnschedulable, NodeAffinity, TaintToleration, NodePorts: cases after upstream's
// nodename_test, node_unschedulable_test, node_affinity_test, taint_toleration_test, node_ports_test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../testing.ts';
import { nodeName } from './node-name.ts';
import { nodeUnschedulable } from './node-unschedulable.ts';
import { nodeAffinity } from './node-affinity.ts';
import { taintToleration } from './taint-toleration.ts';
import { nodePorts } from './node-ports.ts';
import type { FilterPlugin, NodeScore, ScorePlugin } from '../framework.ts';

const verdict = (pl: FilterPlugin, pod: ReturnType<typeof makePod>, ni: NodeInfo) => {
  const s = pl.filter(new Map(), pod, ni);
  return s ? `${s.code}: ${s.message()}` : 'ok';
};
const ni = (n: ReturnType<typeof makeNode>, ...pods: ReturnType<typeof makePod>[]) => {
  const x = new NodeInfo(n);
  for (const p of pods) x.addPod(p);
  return x;
};

test('NodeName', () => {
  assert.equal(verdict(nodeName(), makePod('p'), ni(makeNode('foo'))), 'ok');
  assert.equal(verdict(nodeName(), makePod('p', { spec: { nodeName: 'foo' } }), ni(makeNode('foo'))), 'ok');
  assert.equal(verdict(nodeName(), makePod('p', { spec: { nodeName: 'bar' } }), ni(makeNode('foo'))), "UnschedulableAndUnresolvable: node(s) didn't match the requested node name");
});

test('NodeUnschedulable', () => {
  const cordoned = ni(makeNode('n', { unschedulable: true }));
  assert.equal(verdict(nodeUnschedulable(), makePod('p'), ni(makeNode('n'))), 'ok');
  assert.equal(verdict(nodeUnschedulable(), makePod('p'), cordoned), 'UnschedulableAndUnresolvable: node(s) were unschedulable');
  const tolerant = makePod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
  assert.equal(verdict(nodeUnschedulable(), tolerant, cordoned), 'ok');
});

test('NodeAffinity filter: nodeSelector and required terms (In, NotIn, Exists, DoesNotExist, Gt, Lt, matchFields)', () => {
  const node = ni(makeNode('node1', { labels: { foo: 'bar', gpu: '4', zone: 'a' } }));
  const NO = "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector";
  const req = (...terms: unknown[]) => makePod('p', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } } });
  const cases: Array<[string, ReturnType<typeof makePod>, string]> = [
    ['no selector', makePod('p'), 'ok'],
    ['missing labels', makePod('p', { spec: { nodeSelector: { foo: 'baz' } } }), NO],
    ['same labels', makePod('p', { spec: { nodeSelector: { foo: 'bar' } } }), 'ok'],
    ['In matches', req({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['value1', 'bar'] }] }), 'ok'],
    ['Gt matches', req({ matchExpressions: [{ key: 'gpu', operator: 'Gt', values: ['0'] }] }), 'ok'],
    ['Lt fails', req({ matchExpressions: [{ key: 'gpu', operator: 'Lt', values: ['2'] }] }), NO],
    ['NotIn fails', req({ matchExpressions: [{ key: 'foo', operator: 'NotIn', values: ['bar'] }] }), NO],
    ['DoesNotExist', req({ matchExpressions: [{ key: 'kernel', operator: 'DoesNotExist' }] }), 'ok'],
    ['empty term matches nothing', req({}), NO],
    ['terms are ORed', req({ matchExpressions: [{ key: 'foo', operator: 'In', values: ['x'] }] }, { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }), 'ok'],
    ['expressions are ANDed', req({ matchExpressions: [{ key: 'foo', operator: 'Exists' }, { key: 'nope', operator: 'Exists' }] }), NO],
    ['matchFields metadata.name', req({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }), 'ok'],
    ['matchFields other node', req({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node2'] }] }), NO],
    ['selector and affinity both apply', { ...req({ matchExpressions: [{ key: 'foo', operator: 'Exists' }] }), spec: { ...req({ matchExpressions: [{ key: 'foo', operator: 'Exists' }] }).spec, nodeSelector: { zone: 'b' } } }, NO],
  ];
  for (const [name, pod, want] of cases) assert.equal(verdict(nodeAffinity(), pod, node), want, name);
});

function scores(pl: ScorePlugin, pod: ReturnType<typeof makePod>, nodes: NodeInfo[]): number[] {
  const state = new Map();
  pl.preScore?.(state, pod, nodes);
  const s: NodeScore[] = nodes.map((n) => ({ name: n.name, score: pl.score(state, pod, n) }));
  pl.normalizeScore?.(state, pod, s);
  return s.map((x) => x.score);
}

test('NodeAffinity score: preferred weights normalized (upstream "all nodes matches the preferred scheduling requirements")', () => {
  const pod = makePod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 2, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] } },
    { weight: 4, preference: { matchExpressions: [{ key: 'key', operator: 'In', values: ['value'] }] } },
    { weight: 5, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }, { key: 'key', operator: 'In', values: ['value'] }, { key: 'az', operator: 'In', values: ['az1'] }] } },
  ] } } } });
  const nodes = [ni(makeNode('m1', { labels: { foo: 'bar' } })), ni(makeNode('m2', { labels: { key: 'value' } })), ni(makeNode('m3', { labels: { foo: 'bar', key: 'value', az: 'az1' } }))];
  // upstream: 18, 36, 100
  assert.deepEqual(scores(nodeAffinity(), pod, nodes), [18, 36, 100]);
});

test('TaintToleration filter: upstream message with key and value; NoSchedule and NoExecute only', () => {
  const taint = (effect: string, value?: string) => ni(makeNode('n', { taints: [{ key: 'dedicated', ...(value ? { value } : {}), effect }] }));
  assert.equal(verdict(taintToleration(), makePod('p'), taint('NoSchedule', 'user1')), 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: user1}');
  assert.equal(verdict(taintToleration(), makePod('p'), taint('NoExecute')), 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: }');
  assert.equal(verdict(taintToleration(), makePod('p'), taint('PreferNoSchedule', 'x')), 'ok');
  const tol = (t: object) => makePod('p', { spec: { tolerations: [t] } });
  assert.equal(verdict(taintToleration(), tol({ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }), taint('NoSchedule', 'user1')), 'ok');
  assert.equal(verdict(taintToleration(), tol({ key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }), taint('NoSchedule', 'user1')), 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: user1}');
  assert.equal(verdict(taintToleration(), tol({ key: 'dedicated', operator: 'Exists' }), taint('NoExecute', 'user1')), 'ok');
  assert.equal(verdict(taintToleration(), tol({ operator: 'Exists' }), taint('NoSchedule', 'user1')), 'ok');
  assert.equal(verdict(taintToleration(), tol({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }), taint('NoSchedule', 'user1')), 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: user1}');
});

test('TaintToleration score: fewer untolerated PreferNoSchedule taints score higher (upstream cases)', () => {
  const pod = makePod('p', { spec: { tolerations: [{ key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'PreferNoSchedule' }] } });
  const nodes = [
    ni(makeNode('n1', { taints: [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }] })),
    ni(makeNode('n2', { taints: [{ key: 'cpu-type', value: 'arm64', effect: 'PreferNoSchedule' }, { key: 'disk-type', value: 'ssd', effect: 'PreferNoSchedule' }] })),
    ni(makeNode('n3', { taints: [{ key: 'foo', value: 'bar', effect: 'PreferNoSchedule' }, { key: 'disk-type', value: 'ssd', effect: 'PreferNoSchedule' }] })),
  ];
  assert.deepEqual(scores(taintToleration(), pod, nodes), [100, 50, 0]);
  assert.deepEqual(scores(taintToleration(), makePod('q'), [ni(makeNode('a')), ni(makeNode('b'))]), [100, 100]);
});

test('NodePorts: protocol, IP and 0.0.0.0 conflicts (upstream node_ports_test)', () => {
  const withPorts = (name: string, ...ports: Array<[string, string, number]>) =>
    makePod(name, { spec: { containers: [{ name: 'c', ports: ports.map(([protocol, hostIP, hostPort]) => ({ protocol, hostIP, hostPort, containerPort: hostPort })) }] } });
  const NO = "Unschedulable: node(s) didn't have free ports for the requested pod ports";
  const cases: Array<[string, ReturnType<typeof makePod>, ReturnType<typeof makePod>, string]> = [
    ['nothing running', withPorts('p', ['UDP', '127.0.0.1', 8080]), makePod('e'), 'ok'],
    ['other port', withPorts('p', ['UDP', '127.0.0.1', 8080]), withPorts('e', ['UDP', '127.0.0.1', 9090]), 'ok'],
    ['same udp port', withPorts('p', ['UDP', '127.0.0.1', 8080]), withPorts('e', ['UDP', '127.0.0.1', 8080]), NO],
    ['same tcp port', withPorts('p', ['TCP', '127.0.0.1', 8080]), withPorts('e', ['TCP', '127.0.0.1', 8080]), NO],
    ['different protocol', withPorts('p', ['TCP', '127.0.0.1', 8080]), withPorts('e', ['UDP', '127.0.0.1', 8080]), 'ok'],
    ['different host ip', withPorts('p', ['TCP', '127.0.0.1', 8080]), withPorts('e', ['TCP', '127.0.0.2', 8080]), 'ok'],
    ['second port conflicts', withPorts('p', ['UDP', '127.0.0.1', 8000], ['UDP', '127.0.0.1', 8080]), withPorts('e', ['UDP', '127.0.0.1', 8080]), NO],
    ['0.0.0.0 wanted, specific used', withPorts('p', ['TCP', '0.0.0.0', 8001]), withPorts('e', ['TCP', '127.0.0.1', 8001]), NO],
    ['specific wanted, 0.0.0.0 used', withPorts('p', ['TCP', '127.0.0.1', 8001]), withPorts('e', ['TCP', '0.0.0.0', 8001]), NO],
    ['0.0.0.0 used, other protocol', withPorts('p', ['UDP', '127.0.0.1', 8001]), withPorts('e', ['TCP', '0.0.0.0', 8001]), 'ok'],
  ];
  for (const [name, pod, existing, want] of cases) assert.equal(verdict(nodePorts(), pod, ni(makeNode('n'), existing)), want, name);
});
