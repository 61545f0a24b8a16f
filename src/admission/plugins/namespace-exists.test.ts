import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NamespaceExists } from './namespace-exists.ts';
import { attrs, testDeps } from '../quota/testing.ts';

test('writes in a missing namespace are NotFound; namespaces themselves and cluster objects pass', async () => {
  const deps = testDeps();
  await deps.store.create('/registry/core/namespaces/ns', { metadata: { name: 'ns' } });
  const plugin = new NamespaceExists(deps);
  const cm = { metadata: { name: 'c' } };
  for (const op of ['CREATE', 'UPDATE', 'DELETE'] as const) {
    assert.deepEqual(await plugin.validate(attrs('configmaps', cm, { op, namespace: 'ns' })), { allowed: true });
    const missing = attrs('configmaps', cm, { op, namespace: 'gone' });
    assert.equal(plugin.handles(missing), true);
    assert.deepEqual(await plugin.validate(missing), { allowed: false, code: 404, reason: 'namespaces "gone" not found' });
  }
  assert.equal(plugin.handles(attrs('namespaces', { metadata: { name: 'x' } })), false);
  assert.equal(plugin.handles(attrs('configmaps', cm, { op: 'CONNECT' })), false);
});
