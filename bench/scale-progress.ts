/**
 * The scale bench's progress line on stderr every intervalMs from the first create until the
 * bench stops it: pods created, bound (first seen with spec.nodeName by the bench's watch) and
 * Running (set by the simulated nodes), each with its rate over the last interval, so a long
 * run shows whether binding still moves after the creates (the full-size run's binding took
 * most of an hour and printed nothing).
 */
export interface ScaleCounts {
  created: number;
  bound: number;
  running: number;
}

export function formatProgress(seconds: number, now: ScaleCounts, before: ScaleCounts, intervalS: number): string {
  const rate = (k: keyof ScaleCounts) => Math.round((now[k] - before[k]) / intervalS);
  return `  ${Math.round(seconds)} s: ${now.created} created (${rate('created')}/s), ${now.bound} bound (${rate('bound')}/s), ${now.running} running (${rate('running')}/s)`;
}

/** Starts the periodic line; the returned function stops it. */
export function startProgress(counts: () => ScaleCounts, print: (line: string) => void, intervalMs = 10_000, now: () => number = () => performance.now()): () => void {
  const t0 = now();
  let last = counts();
  let lastAt = t0;
  const timer = setInterval(() => {
    const at = now();
    const c = counts();
    print(formatProgress((at - t0) / 1000, c, last, (at - lastAt) / 1000));
    last = c;
    lastAt = at;
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
