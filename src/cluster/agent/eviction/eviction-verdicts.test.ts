import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { evictionGracePeriod, EvictionVerdicts } from './eviction-verdicts.ts';

const pod = (uid: string, priority?: number): Pod => ({ metadata: { uid, namespace: 'ns', name: uid }, spec: { containers: [], ...(priority === undefined ? {} : { priority }) } });

test('a verdict wakes the worker once and stays until its pod is unbound; a critical pod gets none', () => {
  const woken: string[] = [];
  const lines: string[] = [];
  const d = { evict: (uid: string) => woken.push(uid), log: { info: (o: object, m: string) => lines.push(`info ${m} ${JSON.stringify(o)}`), warn: (o: object, m: string) => lines.push(`warn ${m} ${JSON.stringify(o)}`) } };
  const v = new EvictionVerdicts();
  assert.equal(v.give(pod('a'), 'over its limit', 'evicting', d), true);
  assert.equal(v.give(pod('crit', 2_000_000_000), 'low on memory', 'evicting', d), false);
  assert.deepEqual(woken, ['a']);
  assert.equal(v.get('a'), 'over its limit');
  assert.equal(v.has('crit'), false);
  assert.deepEqual(lines, [
    'info evicting {"pod":"ns/a","message":"over its limit"}',
    'warn Eviction manager: cannot evict a critical pod {"pod":"ns/crit"}',
  ]);
  v.give(pod('b'), 'low on pids', 'evicting', d);
  v.keepOnly(new Set(['b']));
  assert.deepEqual([...v.uids()], ['b']);
  assert.equal(v.get('a'), undefined);
});

test('the grace period of an eviction: 1 s for a hard threshold; a soft one min(--eviction-max-pod-grace-period, the pod\'s own), 0 and negative as given', () => {
  const withGrace = (g?: number): Pod => ({ metadata: { uid: 'x' }, spec: { containers: [], ...(g === undefined ? {} : { terminationGracePeriodSeconds: g }) } });
  assert.equal(evictionGracePeriod(true, withGrace(30), 60), 1);
  assert.equal(evictionGracePeriod(false, withGrace(30), 60), 30);
  assert.equal(evictionGracePeriod(false, withGrace(30), 10), 10);
  assert.equal(evictionGracePeriod(false, withGrace(), 10), 10);
  assert.equal(evictionGracePeriod(false, withGrace(30), 0), 0);
  // Upstream's min lets a negative value through (not "defer to the pod", kubernetes#118172): the kill's 2 s minimum applies.
  assert.equal(evictionGracePeriod(false, withGrace(30), -1), -1);
  const v = new EvictionVerdicts();
  v.give(withGrace(30), 'low on memory', 'evicting', { evict() {}, log: { info() {}, warn() {} } }, 10);
  assert.equal(v.graceOf('x'), 10);
});
