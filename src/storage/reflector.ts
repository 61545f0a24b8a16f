/**
 * Keeps an in-memory view equal to some prefixes of the store, as client-go's reflector: list
 * every prefix at one revision and hand the lists over in one call (the view replaces itself
 * synchronously, so nobody reading it sees half a state), then watch each prefix from that
 * revision and hand over every event. A broken watch (fell behind, compacted) lists again; a
 * failed list is retried after a delay.
 */
import type { ListResult, Store, Watcher, WatchEvent } from './types.ts';

export interface ReflectorHandlers {
  /** The whole state, one list per prefix (in the order of the prefixes), at one revision. */
  replace(lists: ListResult[]): void;
  /** One change under prefixes[index]. */
  event(index: number, e: WatchEvent): void;
}

export interface ReflectorOptions {
  /** Told about watch failures and failed lists (logging). */
  onError?: (err: Error) => void;
  /** Delay before retrying a failed list (default 1000 ms). */
  retryMs?: number;
}

export interface Reflection {
  /** Resolves once the first lists have been handed over. */
  ready: Promise<void>;
  stop(): void;
}

export function reflect(store: Pick<Store, 'currentRevision' | 'list' | 'watch'>, prefixes: readonly string[], handlers: ReflectorHandlers, opts: ReflectorOptions = {}): Reflection {
  let watchers: Watcher[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const closeWatchers = () => {
    for (const w of watchers) w.close();
    watchers = [];
  };
  const restart = (err: Error) => {
    if (stopped) return;
    opts.onError?.(err);
    closeWatchers();
    void start();
  };

  async function start(): Promise<void> {
    try {
      const rev = store.currentRevision();
      const lists = await Promise.all(prefixes.map((p) => store.list(p, { atRevision: rev })));
      if (stopped) return;
      handlers.replace(lists);
      watchers = prefixes.map((p, i) => store.watch(p, rev, { onEvent: (e: WatchEvent) => handlers.event(i, e), onError: restart }));
      resolveReady();
    } catch (err) {
      if (stopped) return;
      opts.onError?.(err as Error);
      closeWatchers();
      timer = setTimeout(() => void start(), opts.retryMs ?? 1000);
      timer.unref();
    }
  }

  void start();
  return {
    ready,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      closeWatchers();
    },
  };
}
