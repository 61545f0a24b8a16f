/**
 * A list the store answers whole (the watch cache's uncached keys: Events), read in pages so the
 * API server's one thread is not held for the whole range (EVL, issue 12).
 *
 * Upstream's etcd3 store reads an unpaginated list in one Range, which etcd serves from a snapshot
 * while kube-apiserver's other goroutines run. Here a store's list is synchronous (SQLite) or
 * decoded in one go (etcd), so a list without a limit of 146,000 Events held the event loop for
 * seconds and allocated every Event at once. pagedList reads such a list (no limit, or one above
 * a page) as pages of PAGE keys at the first page's revision through the store's own continue
 * tokens, with a turn of the event loop between pages, and applies the caller's predicate per page
 * (takePage, so a value the encryption layer could not read is kept as before): only matches are
 * kept. The result is the one list's: the same items, revision, continue token and
 * remainingItemCount. No bound is put on what an unpaginated list returns (upstream has none).
 *
 * A page after the first can find its revision compacted (etcd's snapshot could not be). Upstream's
 * unpaginated list cannot fail so, so a list of the current state starts again at the new
 * revision, at most RESTARTS times, and then reads the range whole as before; a list the caller
 * pinned (atRevision, a continue token) is read whole at once, which answers as the unpaged read
 * would have at that moment.
 */
import { encodeContinue } from './continue-token.ts';
import { everyKeyUncounted as every, pageLimit, takePage } from './page.ts';
import { StorageError } from './types.ts';
import type { ListOptions, ListResult, Store, StoredObject } from './types.ts';

/** Keys read per page: about 10 ms of the event loop for Events on SQLite. */
export const PAGE = 500;
/** Fresh starts after a compaction between pages, before one whole read. */
export const RESTARTS = 2;

/** Wait for the event loop's next turn: timers and I/O run first. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function pagedList<T>(store: Store, prefix: string, opts: ListOptions = {}, page: number = PAGE): Promise<ListResult<T>> {
  const limit = pageLimit(opts.limit);
  if (limit !== 0 && limit <= page) return store.list<T>(prefix, opts);
  const pinned = opts.continue !== undefined || opts.atRevision !== undefined;
  for (let attempt = 0; attempt <= RESTARTS; attempt++) {
    try {
      return await readPages<T>(store, prefix, opts, limit, page);
    } catch (err) {
      if (!(err instanceof CompactedBetweenPages)) throw err;
      if (pinned) break;
    }
  }
  return store.list<T>(prefix, opts);
}

/** A page after the first found its revision compacted. */
class CompactedBetweenPages extends Error {}

async function readPages<T>(store: Store, prefix: string, opts: ListOptions, limit: number, page: number): Promise<ListResult<T>> {
  const items: StoredObject<T>[] = [];
  const { predicate } = opts;
  let next: ListOptions = { ...opts, predicate: every, limit: page };
  for (let first = true; ; first = false) {
    const want = limit === 0 ? page : limit - items.length;
    // Without a predicate, the last stretch of a limited list is the store's own page of what
    // remains: its continue token and remainingItemCount are the whole list's.
    if (!predicate && limit !== 0 && want <= page) return last(store, prefix, next, want, items);
    let res: ListResult<T>;
    try {
      res = await store.list<T>(prefix, next);
    } catch (err) {
      if (!first && err instanceof StorageError && err.code === 'Compacted') throw new CompactedBetweenPages();
      throw err;
    }
    const taken = takePage(res.items, limit === 0 ? 0 : want, predicate);
    for (const item of taken.items) items.push(item);
    if (limit !== 0 && items.length >= limit) {
      // Full: more follow when a key came after the last one taken, in this page or beyond it.
      const result: ListResult<T> = { items, revision: res.revision };
      if ((taken.more || res.continue !== undefined) && taken.lastKey !== undefined) {
        result.continue = encodeContinue(prefix, res.revision, taken.lastKey);
      }
      return result;
    }
    if (res.continue === undefined) return { items, revision: res.revision };
    next = { predicate: every, limit: page, continue: res.continue };
    await turn();
  }
}

/** The store's own page of the `want` keys a limited list without a predicate still takes (never its first page). */
async function last<T>(store: Store, prefix: string, next: ListOptions, want: number, items: StoredObject<T>[]): Promise<ListResult<T>> {
  let res: ListResult<T>;
  try {
    res = await store.list<T>(prefix, { ...next, predicate: undefined, limit: want });
  } catch (err) {
    if (err instanceof StorageError && err.code === 'Compacted') throw new CompactedBetweenPages();
    throw err;
  }
  for (const item of res.items) items.push(item);
  return { ...res, items };
}
