/**
 * Waits for a condition on a directory's files (a shim's pid or exit file), woken by inotify
 * (fs.watch) when the directory changes rather than polling it every few milliseconds: during a
 * burst of pod starts the agent polled every starting container twice per 2-10 ms, and those
 * access() calls were the agent's largest own cost in a CPU profile. A slow poll stays as a
 * safety net (a watch that cannot be set up, an event the kernel dropped).
 */
import { watch, type FSWatcher } from 'node:fs';

/**
 * Resolves with check's first defined answer, or undefined when it has none at timeoutMs. check
 * runs at the start, after changes in dir (coalesced, never two at once), every pollMs and once
 * more at the deadline.
 */
export function waitForFiles<T>(dir: string, check: () => Promise<T | undefined>, timeoutMs: number, pollMs = 250): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let running = false;
    let again = false;
    let done = false;
    const finish = (v: T | undefined, err?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearInterval(poll);
      watcher?.close();
      if (err !== undefined) reject(err);
      else resolve(v);
    };
    const run = async (): Promise<void> => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const v = await check();
          if (v !== undefined) return finish(v);
        } while (again && !done);
      } catch (err) {
        finish(undefined, err);
      } finally {
        running = false;
      }
    };
    // A last look at the deadline: a short timeout still gets one complete check.
    const deadline = setTimeout(() => void check().then((v) => finish(v), (err: unknown) => finish(undefined, err)), timeoutMs);
    const poll = setInterval(() => void run(), pollMs);
    try {
      watcher = watch(dir, { persistent: false }, () => void run());
      watcher.on('error', () => watcher?.close());
    } catch {
      // No watch (the directory is gone, no inotify instances left): the poll alone.
    }
    void run();
  });
}
