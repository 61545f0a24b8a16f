import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from './sqlite.ts';
import { startCompactor } from './compactor.ts';

test('compacts to the revision of the previous tick', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const store = openSqliteStore({ path: ':memory:' });
    await store.create('/a', 1);
    const stop = startCompactor(store, 1000, (err) => assert.fail(String(err)));
    const first = store.currentRevision();
    await store.create('/b', 2);
    mock.timers.tick(1000); // compacts to `first`
    await new Promise((r) => setImmediate(r));
    assert.equal(store.compactedRevision(), first);
    await store.create('/c', 3);
    const second = store.currentRevision() - 1;
    mock.timers.tick(1000);
    await new Promise((r) => setImmediate(r));
    assert.equal(store.compactedRevision(), second);
    assert.deepEqual((await store.list('/')).items.map((i) => i.key), ['/a', '/b', '/c']);
    stop();
    await store.close();
  } finally {
    mock.timers.reset();
  }
});
