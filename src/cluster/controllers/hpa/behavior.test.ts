/**
 * Stabilization and rate limits as horizontal.go normalizeDesiredReplicas(WithBehaviors) and
 * upstream's TestNormalizeDesiredReplicas / TestConvertDesiredReplicasWithRules /
 * TestScalingWithRules cases: conditions carry upstream's reasons.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicaNormalizer, type Behavior, type NormalizeArgs } from './behavior.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const limited = (r: { conditions: Array<{ type: string; status: string; reason: string }> }) => r.conditions.find((c) => c.type === 'ScalingLimited');
const able = (r: { conditions: Array<{ type: string; status: string; reason: string }> }) => r.conditions.find((c) => c.type === 'AbleToScale');
const args = (a: Partial<NormalizeArgs>): NormalizeArgs => ({ key: 'ns/hpa', minReplicas: 1, maxReplicas: 10, currentReplicas: 3, desiredReplicas: 3, ...a });

describe('without spec.behavior', () => {
  test('a scale-down waits out the 300 s window of higher recommendations', () => {
    const c = clock();
    const n = new ReplicaNormalizer(c.now);
    n.recordInitial('ns/hpa', 5);
    c.advance(60_000);
    const held = n.normalize(args({ currentReplicas: 5, desiredReplicas: 2 }));
    assert.equal(held.replicas, 5);
    assert.equal(able(held)?.reason, 'ScaleDownStabilized');
    c.advance(241_000);
    // The 60 s recommendation of 2 and the expired initial 5: 2 wins now.
    const down = n.normalize(args({ currentReplicas: 5, desiredReplicas: 2 }));
    assert.equal(down.replicas, 2);
    assert.equal(able(down)?.reason, 'ReadyForNewScale');
    assert.deepEqual(limited(down), { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
  });

  test('scale-up at most max(2 × current, 4), then maxReplicas, then minReplicas', () => {
    const n = new ReplicaNormalizer(clock().now);
    const fast = n.normalize(args({ currentReplicas: 1, desiredReplicas: 10, maxReplicas: 20 }));
    assert.equal(fast.replicas, 4);
    assert.deepEqual(limited(fast), { type: 'ScalingLimited', status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
    const many = n.normalize(args({ key: 'b', currentReplicas: 3, desiredReplicas: 10, maxReplicas: 5 }));
    assert.equal(many.replicas, 5);
    assert.deepEqual(limited(many), { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    const few = n.normalize(args({ key: 'c', currentReplicas: 3, desiredReplicas: 1, minReplicas: 2 }));
    assert.equal(few.replicas, 2);
    assert.deepEqual(limited(few), { type: 'ScalingLimited', status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
  });
});

describe('with spec.behavior', () => {
  test('default scale-up: 4 pods or 100% per 15 s, counting what was added in the period', () => {
    const c = clock();
    const n = new ReplicaNormalizer(c.now);
    const b: Behavior = {};
    const first = n.normalize(args({ behavior: b, currentReplicas: 2, desiredReplicas: 20, maxReplicas: 100 }));
    assert.equal(first.replicas, 6);
    assert.equal(limited(first)?.reason, 'ScaleUpLimit');
    n.recordScale('ns/hpa', b, 2, 6);
    c.advance(5_000);
    // Still in the 15 s period that began at 2 replicas: nothing more.
    assert.equal(n.normalize(args({ behavior: b, currentReplicas: 6, desiredReplicas: 20, maxReplicas: 100 })).replicas, 6);
    c.advance(11_000);
    // A new period from 6: max(6 + 4, 6 × 2) = 12.
    assert.equal(n.normalize(args({ behavior: b, currentReplicas: 6, desiredReplicas: 20, maxReplicas: 100 })).replicas, 12);
  });

  test('default scale-down window holds, a 0 s window with a 1-pod policy steps down one at a time', () => {
    const c = clock();
    const n = new ReplicaNormalizer(c.now);
    n.recordInitial('ns/hpa', 5);
    c.advance(1_000);
    const held = n.normalize(args({ behavior: {}, currentReplicas: 5, desiredReplicas: 1 }));
    assert.equal(held.replicas, 5);
    assert.equal(able(held)?.reason, 'ScaleDownStabilized');
    const b: Behavior = { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
    const m = new ReplicaNormalizer(c.now);
    const step = m.normalize(args({ behavior: b, currentReplicas: 5, desiredReplicas: 1 }));
    assert.equal(step.replicas, 4);
    assert.deepEqual(limited(step), { type: 'ScalingLimited', status: 'True', reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' });
    m.recordScale('ns/hpa', b, 5, 4);
    c.advance(30_000);
    assert.equal(m.normalize(args({ behavior: b, currentReplicas: 4, desiredReplicas: 1 })).replicas, 4);
  });

  test('selectPolicy Disabled keeps the current count; a scale-up window applies the lowest recent recommendation', () => {
    const c = clock();
    const n = new ReplicaNormalizer(c.now);
    assert.equal(n.normalize(args({ behavior: { scaleDown: { selectPolicy: 'Disabled', stabilizationWindowSeconds: 0 } }, currentReplicas: 5, desiredReplicas: 1 })).replicas, 5);
    const m = new ReplicaNormalizer(c.now);
    const b: Behavior = { scaleUp: { stabilizationWindowSeconds: 60 } };
    m.recordInitial('ns/hpa', 3);
    c.advance(1_000);
    const r = m.normalize(args({ behavior: b, currentReplicas: 3, desiredReplicas: 8 }));
    assert.equal(r.replicas, 3);
    assert.equal(able(r)?.reason, 'ScaleUpStabilized');
    c.advance(60_000);
    assert.equal(m.normalize(args({ behavior: b, currentReplicas: 3, desiredReplicas: 8 })).replicas, 7);
  });
});
