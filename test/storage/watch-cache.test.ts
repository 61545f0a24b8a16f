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
