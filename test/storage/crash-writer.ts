/**
 * Child process for the crash test: writes continuously with durability 'full' and prints each
 * key on stdout once its write has been acknowledged, until it is killed.
 * Usage: node --import tsx test/storage/crash-writer.ts <dir>
 */
import { join } from 'node:path';
import { openSqliteStore } from '../../src/storage/sqlite.ts';

export function dbPath(dir: string): string {
  return join(dir, 'state.db');
}

async function main(dir: string): Promise<void> {
  const store = openSqliteStore({ path: dbPath(dir), durability: 'full' });
  for (let burst = 0; ; burst++) {
    // Bursts of concurrent writes exercise the group commit.
    const writes = Array.from({ length: 50 }, (_, i) => {
      const key = `/crash/${String(burst).padStart(6, '0')}-${String(i).padStart(2, '0')}`;
      return store.create(key, { burst, i }).then(() => key);
    });
    const acked = await Promise.all(writes);
    // The parent counts only complete lines it received, so buffering here can only under-report.
    if (!process.stdout.write(acked.map((k) => `${k}\n`).join(''))) {
      await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  }
}

if (import.meta.filename === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: crash-writer.ts <dir>\n');
    process.exit(2);
  }
  main(dir).catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
