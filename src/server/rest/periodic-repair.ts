/**
 * A repair loop of the API server (node ports, ClusterIPs): a round every interval, the first
 * after one interval, never two at once; the returned stop waits for a round in flight.
 */
export function runRepairRounds(intervalMs: number, round: () => Promise<void>, onError: (err: unknown) => void): () => Promise<void> {
  let current: Promise<void> | undefined;
  const timer = setInterval(() => {
    current ??= round()
      .catch(onError)
      .finally(() => (current = undefined));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}
