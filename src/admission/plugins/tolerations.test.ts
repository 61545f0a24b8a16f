import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSuperset, mergeTolerations } from './tolerations.ts';

test('isSuperset as upstream: Exists over Equal, an empty key with Exists over any key, an empty effect over any effect, NoExecute seconds', () => {
  assert.equal(isSuperset({ key: 'a', operator: 'Exists' }, { key: 'a', operator: 'Equal', value: 'v', effect: 'NoSchedule' }), true);
  assert.equal(isSuperset({ operator: 'Exists' }, { key: 'b', operator: 'Equal', value: 'v' }), true);
  assert.equal(isSuperset({ key: 'a', operator: 'Exists', effect: 'NoSchedule' }, { key: 'a', operator: 'Exists', effect: 'NoExecute' }), false);
  assert.equal(isSuperset({ key: 'a', operator: 'Equal', value: 'v' }, { key: 'a', operator: 'Equal', value: 'w' }), false);
  assert.equal(isSuperset({ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }, { key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }), true);
  assert.equal(isSuperset({ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }, { key: 'a', operator: 'Exists', effect: 'NoExecute' }), false, 'forever is more than 30 s');
});

test('mergeTolerations keeps the wider of two and the first of equals, in order', () => {
  const a = { key: 'a', operator: 'Equal', value: 'v', effect: 'NoSchedule' };
  const aAny = { key: 'a', operator: 'Exists' };
  const b = { key: 'b', operator: 'Exists', effect: 'NoExecute' };
  assert.deepEqual(mergeTolerations([a, b], [aAny]), [b, aAny]);
  assert.deepEqual(mergeTolerations([a], [{ ...a }]), [a]);
  assert.deepEqual(mergeTolerations([], []), []);
});
