/**
 * Periodic work over many nodes, spread evenly over its period as independent kubelets' timers
 * are: the items fall into at most `maxSlots` slots, one slot comes due per tick, so every item
 * is visited once a period. 5,000 nodes renewing their Lease every 10 s then make a steady 500
 * renewals a second instead of 5,000 at one instant and nothing for the next 10 s.
 */
export interface Ticker {
  /** Calls fn every ms until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

export const realTicker: Ticker = {
  every(ms, fn) {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
};

/** Default slots per period: 100 (a tick every 100 ms for the kubelet's 10 s renewal). */
export const MAX_SLOTS = 100;

export function spreadOver<T>(items: readonly T[], periodMs: number, visit: (item: T) => void, ticker: Ticker = realTicker, maxSlots = MAX_SLOTS): () => void {
  const slots = Math.max(1, Math.min(items.length, maxSlots));
  let slot = 0;
  return ticker.every(periodMs / slots, () => {
    for (let i = slot; i < items.length; i += slots) visit(items[i]!);
    slot = (slot + 1) % slots;
  });
}
