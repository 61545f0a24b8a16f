import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Priority } from './priority.ts';
import { attrs, pod, testDeps } from '../quota/testing.ts';

const CLASSES = '/registry/scheduling.k8s.io/priorityclasses/';
const pc = (name: string, value: number, extra: Record<string, unknown> = {}) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra });
const c = [{ name: 'c', image: 'x' }];

async function setup() {
  const deps = testDeps();
  await deps.store.create(`${CLASSES}system-node-critical`, pc('system-node-critical', 2000001000, { preemptionPolicy: 'PreemptLowerPriority' }));
  await deps.store.create(`${CLASSES}batch`, pc('batch', 100, { preemptionPolicy: 'Never' }));
  return { deps, plugin: new Priority(deps) };
}

test('Priority: a client may not give its pod a priority of its own; the class decides it', async () => {
  const { plugin } = await setup();
  const self = pod('self', c, { priority: 2000001000 });
  const v = await plugin.admit(attrs('pods', self));
  assert.equal(v.allowed, false);
  assert.equal(v.reason, 'the integer value of priority (2000001000) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name');
  const low = pod('low', c, { priorityClassName: 'batch', priority: 2000001000 });
  assert.equal((await plugin.admit(attrs('pods', low))).reason, 'the integer value of priority (2000001000) must not be provided in pod spec; priority admission controller computed 100 from the given PriorityClass name');
  const policy = pod('policy', c, { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' });
  assert.equal((await plugin.admit(attrs('pods', policy))).reason, 'the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name');
  assert.equal((await plugin.admit(attrs('pods', pod('ghost', c, { priorityClassName: 'ghost' })))).reason, 'no PriorityClass with name ghost was found');
});

test('Priority: resolved from the class on create (the value a client repeats is accepted), kept on update', async () => {
  const { plugin } = await setup();
  const crit = pod('crit', c, { priorityClassName: 'system-node-critical' });
  const v = await plugin.admit(attrs('pods', crit));
  assert.equal(v.allowed, true);
  assert.equal(crit.spec.priority, 2000001000);
  assert.equal(crit.spec.preemptionPolicy, 'PreemptLowerPriority');
  assert.deepEqual(v.patches, [{ op: 'add', path: '/spec/priority', value: 2000001000 }, { op: 'add', path: '/spec/preemptionPolicy', value: 'PreemptLowerPriority' }]);
  const same = pod('same', c, { priorityClassName: 'batch', priority: 100, preemptionPolicy: 'Never' });
  assert.equal((await plugin.admit(attrs('pods', same))).allowed, true);
  const plain = pod('plain', c);
  assert.equal((await plugin.admit(attrs('pods', plain))).allowed, true);
  assert.equal(plain.spec.priority, 0, 'no class and no default: 0');
  assert.equal(plain.spec.priorityClassName, undefined);
  assert.equal(plain.spec.preemptionPolicy, undefined);
  const updated = pod('crit', c, { priorityClassName: 'system-node-critical' });
  await plugin.admit(attrs('pods', updated, { op: 'UPDATE', oldObject: crit }));
  assert.equal(updated.spec.priority, 2000001000, 'an update that leaves them out keeps them');
  assert.equal(updated.spec.preemptionPolicy, 'PreemptLowerPriority');
  assert.equal(plugin.handles(attrs('pods', crit, { subresource: 'status', op: 'UPDATE', oldObject: crit })), false, 'subresources are left alone');
});

test('Priority: a pod without a class gets the globalDefault one, the lowest when several claim it', async () => {
  const { deps, plugin } = await setup();
  await deps.store.create(`${CLASSES}default-high`, pc('default-high', 500, { globalDefault: true }));
  await deps.store.create(`${CLASSES}default-low`, pc('default-low', 50, { globalDefault: true, preemptionPolicy: 'Never' }));
  const p = pod('p', c);
  const v = await plugin.admit(attrs('pods', p));
  assert.equal(v.allowed, true);
  assert.equal(p.spec.priorityClassName, 'default-low');
  assert.equal(p.spec.priority, 50);
  assert.equal(p.spec.preemptionPolicy, 'Never');
});

test('Priority: a second globalDefault PriorityClass is refused, on create and on update; the default itself may be updated', async () => {
  const { deps, plugin } = await setup();
  await deps.store.create(`${CLASSES}first`, pc('first', 10, { globalDefault: true }));
  const cls = (obj: Record<string, any>, op: 'CREATE' | 'UPDATE' = 'CREATE') => attrs('priorityclasses', obj, { group: 'scheduling.k8s.io', op, namespace: '', ...(op === 'UPDATE' ? { oldObject: obj } : {}) });
  const second = cls(pc('second', 20, { globalDefault: true }));
  assert.equal(plugin.handles(second), true);
  const v = await plugin.validate(second);
  assert.equal(v.allowed, false);
  assert.equal(v.reason, 'PriorityClass first is already marked as default. Only one default can exist');
  assert.equal((await plugin.validate(cls(pc('second', 20, { globalDefault: true }), 'UPDATE'))).reason, 'PriorityClass first is already marked as default. Only one default can exist');
  assert.equal((await plugin.validate(cls(pc('first', 10, { globalDefault: true }), 'UPDATE'))).allowed, true);
  assert.equal((await plugin.validate(cls(pc('second', 20)))).allowed, true);
  // The pod half leaves classes alone, and the class half pods.
  assert.equal((await plugin.admit(second)).patches, undefined);
  assert.equal((await plugin.validate(attrs('pods', pod('p', c)))).allowed, true);
});
