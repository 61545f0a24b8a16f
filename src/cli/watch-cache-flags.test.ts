import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from './args.ts';
import { API_SERVER_BOOLEANS, API_SERVER_FLAGS, apiServerFromFlags } from './apiserver.ts';

const parse = (argv: string[]) => parseCommand(argv, { name: 'apiserver', booleans: [...API_SERVER_BOOLEANS], flags: [...API_SERVER_FLAGS] });

test('--watch-cache (default true) and --watch-cache-sizes (comma lists, repeatable; parsed only with the cache on, as upstream)', () => {
  assert.deepEqual(apiServerFromFlags(parse([])).watchCacheFlags, { enabled: true, sizes: new Map() });
  assert.deepEqual([...apiServerFromFlags(parse(['--watch-cache-sizes', 'pods#0,events#5', '--watch-cache-sizes=leases.coordination.k8s.io#0'])).watchCacheFlags.sizes], [['pods', 0], ['events', 5], ['leases.coordination.k8s.io', 0]]);
  assert.throws(() => apiServerFromFlags(parse(['--watch-cache-sizes', 'pods'])), /^Error: invalid value of watch cache size: pods$/);
  assert.deepEqual(apiServerFromFlags(parse(['--watch-cache=false', '--watch-cache-sizes', 'pods'])).watchCacheFlags, { enabled: false, sizes: new Map() });
  assert.equal(apiServerFromFlags(parse(['--watch-cache', 'false'])).watchCacheFlags.enabled, false);
});
