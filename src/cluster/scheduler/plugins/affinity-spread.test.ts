// InterPodAffinity and PodTopologySpread, after upstream's interpodaffinity/filtering_test and
// podtopologyspread/filtering_test cases (zone/node layouts, maxSkew, minDomains, self-affinity).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Handle } from '../framework.ts';
import { NodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../testing.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';
import { podTopologySpread } from './pod-topology-spread.ts';

type P = ReturnType<typeof makePod>;
function cluster(layout: Array<[string, Record<string, string>, P[]]>): NodeInfo[] {
  return layout.map(([name, labels, pods]) => {
    const ni = new NodeInfo(makeNode(name, { labels }));
    for (const p of pods) ni.addPod({ ...p, spec: { ...p.spec, nodeName: name } });
    return ni;
  });
}
const handleOf = (nodes: NodeInfo[]): Handle => ({ nodeInfos: () => nodes, namespaceLabels: () => undefined });
function verdicts(pl: ReturnType<typeof interPodAffinity> | ReturnType<typeof podTopologySpread>, pod: P, nodes: NodeInfo[]): string[] {
  const state = new Map();
  const pre = pl.preFilter(state, pod, nodes);
  if (pre?.code === 'Skip') return nodes.map(() => 'ok');
  return nodes.map((n) => pl.filter(state, pod, n)?.message() ?? 'ok');
}

const term = (labels: Record<string, string>, topologyKey: string) => ({ labelSelector: { matchLabels: labels }, topologyKey });
const affinityPod = (name: string, labels: Record<string, string>, kind: 'podAffinity' | 'podAntiAffinity', terms: unknown[]) =>
  makePod(name, { labels, spec: { affinity: { [kind]: { requiredDuringSchedulingIgnoredDuringExecution: terms } } } });

test('InterPodAffinity: required affinity, anti-affinity, existing pods anti-affinity', () => {
  const zone = 'topology.kubernetes.io/zone';
  const nodes = () => cluster([
    ['n1', { [zone]: 'z1' }, [makePod('web', { labels: { app: 'web' } })]],
    ['n2', { [zone]: 'z1' }, []],
    ['n3', { [zone]: 'z2' }, []],
    ['n4', {}, []],
  ]);
  const ns = nodes();
  const aff = affinityPod('p', {}, 'podAffinity', [term({ app: 'web' }, zone)]);
  assert.deepEqual(verdicts(interPodAffinity(handleOf(ns)), aff, ns), ['ok', 'ok', "node(s) didn't match pod affinity rules", "node(s) didn't match pod affinity rules"]);
  const anti = affinityPod('p', {}, 'podAntiAffinity', [term({ app: 'web' }, zone)]);
  assert.deepEqual(verdicts(interPodAffinity(handleOf(ns)), anti, ns), ["node(s) didn't match pod anti-affinity rules", "node(s) didn't match pod anti-affinity rules", 'ok', 'ok']);
  // An existing pod that refuses app=db pods in its hostname domain.
  const guarded = cluster([
    ['n1', {}, [affinityPod('guard', {}, 'podAntiAffinity', [term({ app: 'db' }, 'kubernetes.io/hostname')])]],
    ['n2', {}, []],
  ]);
  assert.deepEqual(verdicts(interPodAffinity(handleOf(guarded)), makePod('db', { labels: { app: 'db' } }), guarded), ["node(s) didn't satisfy existing pods anti-affinity rules", 'ok']);
  assert.deepEqual(verdicts(interPodAffinity(handleOf(guarded)), makePod('other', { labels: { app: 'x' } }), guarded), ['ok', 'ok']);
  // Other namespaces do not count unless the term names them.
  const otherNs = cluster([['n1', { [zone]: 'z1' }, [makePod('web', { ns: 'other', labels: { app: 'web' } })]]]);
  assert.deepEqual(verdicts(interPodAffinity(handleOf(otherNs)), aff, otherNs), ["node(s) didn't match pod affinity rules"]);
  const withNs = affinityPod('p', {}, 'podAffinity', [{ ...term({ app: 'web' }, zone), namespaces: ['other'] }]);
  assert.deepEqual(verdicts(interPodAffinity(handleOf(otherNs)), withNs, otherNs), ['ok']);
});

test('InterPodAffinity: the first pod of a group with affinity to itself may go where the topology key exists', () => {
  const zone = 'topology.kubernetes.io/zone';
  const ns = cluster([['n1', { [zone]: 'z1' }, []], ['n2', {}, []]]);
  const self = affinityPod('p', { app: 'web' }, 'podAffinity', [term({ app: 'web' }, zone)]);
  assert.deepEqual(verdicts(interPodAffinity(handleOf(ns)), self, ns), ['ok', "node(s) didn't match pod affinity rules"]);
});

test('InterPodAffinity score: preferred affinity favours the domain with matching pods', () => {
  const zone = 'topology.kubernetes.io/zone';
  const ns = cluster([['n1', { [zone]: 'z1' }, [makePod('web', { labels: { app: 'web' } })]], ['n2', { [zone]: 'z2' }, []]]);
  const pod = makePod('p', { spec: { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term({ app: 'web' }, zone) }] } } } });
  const pl = interPodAffinity(handleOf(ns));
  const state = new Map();
  pl.preScore!(state, pod, ns);
  const scores = ns.map((n) => ({ name: n.name, score: pl.score(state, pod, n) }));
  pl.normalizeScore!(state, pod, scores);
  assert.deepEqual(scores.map((s) => s.score), [100, 0]);
});

const spread = (maxSkew: number, key: string, extra: Record<string, unknown> = {}) =>
  makePod('p', { labels: { foo: '' }, spec: { topologySpreadConstraints: [{ maxSkew, topologyKey: key, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'foo', operator: 'Exists' }] }, ...extra }] } });
const foo = (n: string) => makePod(n, { labels: { foo: '' } });

test('PodTopologySpread filter: upstream "pods spread across zones as 3/3, all nodes fit" and "as 2/1/0/3, only node-x fits"', () => {
  const zone = 'zone';
  const even = cluster([
    ['node-a', { zone: 'zone1', node: 'node-a' }, [foo('p-a1'), foo('p-a2')]],
    ['node-b', { zone: 'zone1', node: 'node-b' }, [foo('p-b1')]],
    ['node-x', { zone: 'zone2', node: 'node-x' }, [foo('p-x1'), foo('p-x2')]],
    ['node-y', { zone: 'zone2', node: 'node-y' }, [foo('p-y1')]],
  ]);
  assert.deepEqual(verdicts(podTopologySpread(handleOf(even)), spread(1, zone), even), ['ok', 'ok', 'ok', 'ok']);
  const uneven = cluster([
    ['node-a', { zone: 'zone1', node: 'node-a' }, [foo('p-a1'), foo('p-a2')]],
    ['node-b', { zone: 'zone1', node: 'node-b' }, [foo('p-b1')]],
    ['node-x', { zone: 'zone2', node: 'node-x' }, []],
    ['node-y', { zone: 'zone2', node: 'node-y' }, [foo('p-y1'), foo('p-y2'), foo('p-y3')]],
  ]);
  const NOT = "node(s) didn't match pod topology spread constraints";
  assert.deepEqual(verdicts(podTopologySpread(handleOf(uneven)), spread(1, 'node'), uneven), [NOT, NOT, 'ok', NOT]);
  // A node without the key is unresolvable.
  const missing = cluster([['node-a', { zone: 'zone1' }, []], ['node-b', {}, []]]);
  assert.deepEqual(verdicts(podTopologySpread(handleOf(missing)), spread(1, zone), missing), ['ok', `${NOT} (missing required label)`]);
});

test('PodTopologySpread filter: minDomains makes the global minimum 0 while domains are missing', () => {
  const ns = cluster([
    ['node-a', { zone: 'zone1' }, [foo('a1')]],
    ['node-b', { zone: 'zone2' }, [foo('b1')]],
  ]);
  assert.deepEqual(verdicts(podTopologySpread(handleOf(ns)), spread(1, 'zone'), ns), ['ok', 'ok']);
  const NOT = "node(s) didn't match pod topology spread constraints";
  assert.deepEqual(verdicts(podTopologySpread(handleOf(ns)), spread(1, 'zone', { minDomains: 3 }), ns), [NOT, NOT]);
  // Without the pod's own label matching, its own count is 0.
  const other = makePod('p', { spec: spread(1, 'zone').spec });
  assert.deepEqual(verdicts(podTopologySpread(handleOf(ns)), other, ns), ['ok', 'ok']);
});

test('PodTopologySpread score: ScheduleAnyway prefers the emptier domain', () => {
  const ns = cluster([['a', { zone: 'z1' }, [foo('a1'), foo('a2')]], ['b', { zone: 'z2' }, []]]);
  const pod = makePod('p', { labels: { foo: '' }, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchExpressions: [{ key: 'foo', operator: 'Exists' }] } }] } });
  const pl = podTopologySpread(handleOf(ns));
  const state = new Map();
  pl.preScore!(state, pod, ns);
  const scores = ns.map((n) => ({ name: n.name, score: pl.score(state, pod, n) }));
  pl.normalizeScore!(state, pod, scores);
  assert.ok(scores[1]!.score > scores[0]!.score, JSON.stringify(scores));
  assert.equal(scores[1]!.score, 100);
});
