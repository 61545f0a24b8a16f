/**
 * Shuffle sharding as upstream's (k8s.io/apiserver/pkg/util/shufflesharding and queueset's
 * hashFlowID): a flow (FlowSchema name and distinguisher) is hashed once and the hash deals a hand
 * of `handSize` distinct queues out of `deckSize`. Flows are never remembered: how many flows a
 * level sees costs nothing, only its fixed queues hold memory.
 */
import { createHash } from 'node:crypto';

/** sha256 of name, a zero byte and the distinguisher; the first 8 bytes little-endian. */
export function hashFlowId(flowSchemaName: string, distinguisher: string): bigint {
  const h = createHash('sha256').update(flowSchemaName).update(Buffer.of(0)).update(distinguisher).digest();
  return h.readBigUInt64LE(0);
}

/** The hand `hash` deals: `handSize` distinct card numbers in [0, deckSize). */
export function dealHand(hash: bigint, deckSize: number, handSize: number): number[] {
  const remainders: number[] = [];
  let v = hash;
  for (let i = 0; i < handSize; i++) {
    const d = BigInt(deckSize - i);
    remainders.push(Number(v % d));
    v /= d;
  }
  const hand: number[] = [];
  for (let i = 0; i < handSize; i++) {
    let card = remainders[i]!;
    // Skip the cards already dealt (as upstream's Dealer.Deal).
    for (let j = i; j > 0; j--) if (card >= remainders[j - 1]!) card++;
    hand.push(card);
  }
  return hand;
}
