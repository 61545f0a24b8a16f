import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dealHand, hashFlowId } from './shuffle-shard.ts';

test('a hand holds distinct queues within the deck, the same for the same flow', () => {
  for (let i = 0; i < 200; i++) {
    const h = hashFlowId('global-default', `user-${i}`);
    const hand = dealHand(h, 128, 6);
    assert.equal(new Set(hand).size, 6);
    assert.ok(hand.every((c) => c >= 0 && c < 128));
    assert.deepEqual(dealHand(hashFlowId('global-default', `user-${i}`), 128, 6), hand);
  }
});

test('the deal follows upstream: remainders by decreasing deck size, later cards skip the earlier ones', () => {
  // 0 = 0 mod 4, then 0 mod 3 (bumped past card 0), then 0 mod 2 (bumped past 0 and 1).
  assert.deepEqual(dealHand(0n, 4, 3), [0, 1, 2]);
  // 7 = 3 + 4×1: card 3; 1 = 1 mod 3, not below 3: card 1.
  assert.deepEqual(dealHand(7n, 4, 2), [3, 1]);
  // The whole 64-bit range is used.
  assert.equal(dealHand(0xffffffffffffffffn, 128, 1)[0], Number(0xffffffffffffffffn % 128n));
});

test('flows of different FlowSchemas hash apart', () => {
  assert.notEqual(hashFlowId('a', 'x'), hashFlowId('ax', ''));
});
