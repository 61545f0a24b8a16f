import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeClass } from './runtime-class.ts';
import { attrs, container, pod, testDeps } from '../quota/testing.ts';

const rc = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler: 'runc', ...extra });
const withClass = (name: string, extra: Record<string, unknown> = {}) => pod('p', [container('c')], { runtimeClassName: name, ...extra });

async function plugin() {
  const deps = testDeps();
  await deps.store.create('/registry/node.k8s.io/runtimeclasses/plain', rc('plain'));
  await deps.store.create('/registry/node.k8s.io/runtimeclasses/heavy', rc('heavy', { overhead: { podFixed: { cpu: '250m', memory: '120Mi' } } }));
  await deps.store.create('/registry/node.k8s.io/runtimeclasses/pinned', rc('pinned', { scheduling: { nodeSelector: { sandbox: 'gvisor' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] } }));
  return new RuntimeClass(deps);
}

test('RuntimeClass: the class overhead becomes spec.overhead; a different one is refused, an equal quantity is not', async () => {
  const p = await plugin();
  const a = withClass('heavy');
  assert.equal((await p.admit(attrs('pods', a))).allowed, true);
  assert.deepEqual(a.spec.overhead, { cpu: '250m', memory: '120Mi' });
  assert.deepEqual(await p.validate(attrs('pods', a)), { allowed: true });
  const same = withClass('heavy', { overhead: { cpu: '0.25', memory: '120Mi' } });
  assert.equal((await p.admit(attrs('pods', same))).allowed, true, '0.25 is 250m (Semantic.DeepEqual)');
  const other = withClass('heavy', { overhead: { cpu: '1' } });
  assert.deepEqual(await p.admit(attrs('pods', other)), { allowed: false, reason: "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead" });
  // A later mutation (a webhook) changing it is caught by the validating half.
  a.spec.overhead = { cpu: '1', memory: '120Mi' };
  assert.deepEqual(await p.validate(attrs('pods', a)), { allowed: false, reason: "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead" });
});

test('RuntimeClass: an overhead without a class overhead is refused; a class that does not exist is refused', async () => {
  const p = await plugin();
  for (const q of [pod('p', [container('c')], { overhead: { cpu: '1' } }), withClass('plain', { overhead: { cpu: '1' } })]) {
    assert.equal((await p.admit(attrs('pods', q))).allowed, true);
    assert.deepEqual(await p.validate(attrs('pods', q)), { allowed: false, reason: 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead' });
  }
  const none = pod('p', [container('c')]);
  assert.deepEqual(await p.admit(attrs('pods', none)), { allowed: true });
  assert.deepEqual(await p.validate(attrs('pods', none)), { allowed: true });
  for (const phase of ['admit', 'validate'] as const) assert.deepEqual(await p[phase](attrs('pods', withClass('gone'))), { allowed: false, reason: 'pod rejected: RuntimeClass "gone" not found' });
});

test('RuntimeClass: scheduling.nodeSelector is merged in (a conflicting value refused), its tolerations added', async () => {
  const p = await plugin();
  const a = withClass('pinned', { nodeSelector: { zone: 'a' }, tolerations: [{ key: 'x', operator: 'Equal', value: 'y', effect: 'NoSchedule' }] });
  assert.equal((await p.admit(attrs('pods', a))).allowed, true);
  assert.deepEqual(a.spec.nodeSelector, { zone: 'a', sandbox: 'gvisor' });
  assert.deepEqual(a.spec.tolerations, [{ key: 'x', operator: 'Equal', value: 'y', effect: 'NoSchedule' }, { key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }]);
  const b = withClass('pinned');
  await p.admit(attrs('pods', b));
  assert.deepEqual(b.spec.nodeSelector, { sandbox: 'gvisor' });
  // A pod toleration the class's covers (Exists over Equal, same key and effect) is dropped.
  const c = withClass('pinned', { tolerations: [{ key: 'sandbox', operator: 'Equal', value: 'v', effect: 'NoSchedule' }] });
  await p.admit(attrs('pods', c));
  assert.deepEqual(c.spec.tolerations, [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }]);
  const clash = withClass('pinned', { nodeSelector: { sandbox: 'kata' } });
  assert.deepEqual(await p.admit(attrs('pods', clash)), { allowed: false, reason: 'conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = kata' });
  assert.deepEqual(clash.spec.nodeSelector, { sandbox: 'kata' }, 'left as it was');
});

test('RuntimeClass: pod creation only', async () => {
  const p = await plugin();
  const a = withClass('heavy');
  assert.equal(p.handles(attrs('pods', a)), true);
  assert.equal(p.handles(attrs('pods', a, { op: 'UPDATE', oldObject: a })), false);
  assert.equal(p.handles(attrs('pods', a, { subresource: 'ephemeralcontainers' })), false);
  assert.equal(p.handles(attrs('configmaps', { metadata: { name: 'x' } })), false);
});
