import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaintNodesByCondition } from './taint-nodes-by-condition.ts';
import { attrs } from '../quota/testing.ts';

const node = (taints?: unknown[]): { metadata: { name: string }; spec: { taints?: unknown[] } } => ({ metadata: { name: 'n1' }, spec: taints ? { taints } : {} });

test('TaintNodesByCondition: a created Node gets not-ready:NoSchedule after its own taints, once', async () => {
  const p = new TaintNodesByCondition();
  const bare = node();
  const v = await p.admit(attrs('nodes', bare));
  assert.deepEqual(bare.spec, { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] });
  assert.deepEqual(v.patches, [{ op: 'add', path: '/spec/taints', value: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }]);
  const own = node([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
  await p.admit(attrs('nodes', own));
  assert.deepEqual(own.spec.taints, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
  // MatchTaint is key and effect: a value or timeAdded of its own keeps the one there; NoExecute is another taint.
  const has = node([{ key: 'node.kubernetes.io/not-ready', value: 'x', effect: 'NoSchedule' }]);
  assert.deepEqual(await p.admit(attrs('nodes', has)), { allowed: true });
  assert.equal(has.spec.taints?.length, 1);
  const noExecute = node([{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
  await p.admit(attrs('nodes', noExecute));
  assert.equal(noExecute.spec.taints?.length, 2);
});

test('TaintNodesByCondition: creation of nodes only (not updates, status or other kinds)', () => {
  const p = new TaintNodesByCondition();
  assert.equal(p.handles(attrs('nodes', node())), true);
  assert.equal(p.handles(attrs('nodes', node(), { op: 'UPDATE', oldObject: node() })), false);
  assert.equal(p.handles(attrs('nodes', node(), { subresource: 'status' })), false);
  assert.equal(p.handles(attrs('pods', node())), false);
});
