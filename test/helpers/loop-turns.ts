/**
 * Counts event-loop turns (one setImmediate per turn) until stopped: a structural way to show some
 * work let the loop run, free of any timing assumption. Work done synchronously on this thread
 * finishes with the count unchanged.
 */
export function countLoopTurns(): { turns(): number; stop(): void } {
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    turns: () => turns,
    stop: () => {
      ticking = false;
    },
  };
}
