import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../storage/sqlite.ts';
import type { Store, WatchHandlers } from '../../storage/types.ts';
import { NodeGraph, vertexId } from './graph.ts';
import { POD_PREFIX, syncNodeGraph } from './graph-sync.ts';

const pod = (secretName: string) => ({ metadata: { name: 'p1', namespace: 'ns1' }, spec: { nodeName: 'n1', containers: [], volumes: [{ name: 'v', secret: { secretName } }] } });
const reaches = (g: NodeGraph, s: string) => g.hasPath(vertexId('secret', 'ns1', s), vertexId('node', '', 'n1'));

describe('syncNodeGraph', () => {
  test('a failed watch relists, rebuilds and keeps following', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    let fail: ((e: Error) => void) | undefined;
    const errors: string[] = [];
    const flaky: Pick<Store, 'currentRevision' | 'list' | 'watch'> = {
      currentRevision: () => store.currentRevision(),
      list: store.list.bind(store),
      watch: <T>(prefix: string, from: number, handlers: WatchHandlers<T>) => {
        if (prefix !== POD_PREFIX || fail) return store.watch(prefix, from, handlers);
        // This first pod watch goes deaf once failed: only a relist can bring 'b' in.
        let dead = false;
        fail = (e) => {
          dead = true;
          handlers.onError?.(e);
        };
        return store.watch<T>(prefix, from, { onEvent: (ev) => !dead && handlers.onEvent(ev) });
      },
    };
    const graph = new NodeGraph();
    const sync = syncNodeGraph(flaky, graph, { onError: (e) => errors.push(e.message) });
    try {
      await sync.ready;
      const c = await store.create(POD_PREFIX + 'ns1/p1', pod('a'));
      assert.equal(reaches(graph, 'a'), true);
      fail!(new Error('fell behind'));
      // While the relist runs, the pod changes; the rebuilt graph must show the new state.
      await store.update(POD_PREFIX + 'ns1/p1', pod('b'), c.modRevision);
      // The relist is asynchronous: let it run (bounded, not timed).
      for (let i = 0; i < 100 && !reaches(graph, 'b'); i++) await new Promise((r) => setImmediate(r));
      assert.deepEqual(errors, ['fell behind']);
      assert.equal(reaches(graph, 'a'), false);
      assert.equal(reaches(graph, 'b'), true);
    } finally {
      sync.stop();
      await store.close();
    }
  });
});
