import { join } from 'node:path';
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { createWatchCache } from '../../src/storage/watch-cache.ts';
import { runStoreConformance } from './conformance.ts';

runStoreConformance('watch cache over sqlite', async (dir) => createWatchCache(openSqliteStore({ path: join(dir, 'state.db') })), {
  reopen: true,
});
runStoreConformance(
  'watch cache (history 3) over sqlite :memory:',
  async () => createWatchCache(openSqliteStore({ path: ':memory:' }), { historySize: 3 }),
  { reopen: false },
);
runStoreConformance(
  'watch cache (history 200 bytes) over sqlite :memory:',
  async () => createWatchCache(openSqliteStore({ path: ':memory:' }), { historyBytes: 200 }),
  { reopen: false },
);
// Some prefixes left to the store (as the API server leaves Events): keys under them, and lists
// and watches containing them ('/a/' holds '/a/b/'), are the store's; the rest the cache's.
runStoreConformance(
  'watch cache (/k/, /a/b/, /h/ uncached) over sqlite',
  async (dir) => createWatchCache(openSqliteStore({ path: join(dir, 'state.db') }), { uncached: ['/k/', '/a/b/', '/h/'] }),
  { reopen: true },
);
