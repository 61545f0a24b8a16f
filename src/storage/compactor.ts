import type { Store } from './types.ts';

/**
 * Periodic compaction, as kube-apiserver asks etcd every five minutes: at each tick the store is
 * compacted to the revision seen at the previous tick, so watchers always have at least one
 * interval of history to resume from.
 */
export function startCompactor(store: Store, intervalMs: number, onError: (err: unknown) => void): () => void {
  let previous = store.currentRevision();
  const timer = setInterval(() => {
    const target = previous;
    previous = store.currentRevision();
    if (target > store.compactedRevision()) store.compact(target).catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
