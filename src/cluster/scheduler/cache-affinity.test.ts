import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulerCache } from './cache.ts';
import { makeNode, makePod } from './testing.ts';

const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'a' } } }] } } };
const names = (l: readonly { name: string }[]) => l.map((n) => n.name).sort();

test('the cache lists exactly the nodes holding pods with affinity, through bind, assume, forget, delete and node removal', () => {
  const c = new SchedulerCache();
  c.addNode(makeNode('n1'));
  c.addNode(makeNode('n2'));
  assert.deepEqual(c.affinityNodeLists(), { withAffinity: [], withRequiredAntiAffinity: [] });
  const bound = makePod('b', { node: 'n1', spec: anti });
  c.setPod(bound);
  assert.deepEqual(names(c.affinityNodeLists().withAffinity), ['n1']);
  assert.deepEqual(names(c.affinityNodeLists().withRequiredAntiAffinity), ['n1']);
  const assumed = makePod('a', { spec: anti });
  c.assume(assumed, 'n2');
  assert.deepEqual(names(c.affinityNodeLists().withRequiredAntiAffinity), ['n1', 'n2']);
  c.forget(assumed);
  assert.deepEqual(names(c.affinityNodeLists().withRequiredAntiAffinity), ['n1']);
  c.setPod(makePod('plain', { node: 'n2' }));
  assert.deepEqual(names(c.affinityNodeLists().withAffinity), ['n1']);
  c.removeNode(makeNode('n1'));
  assert.deepEqual(c.affinityNodeLists().withAffinity, []);
  c.addNode(makeNode('n1'));
  assert.deepEqual(names(c.affinityNodeLists().withAffinity), ['n1'], 'the pod kept for a returning node counts again');
  c.removePod(bound);
  assert.deepEqual(c.affinityNodeLists(), { withAffinity: [], withRequiredAntiAffinity: [] });
});
