import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultWatchCacheSizes, parseWatchCacheSizes, uncachedPrefixes } from './watch-cache-sizes.ts';
import { builtinPrefix } from '../api/registry/resource-def.ts';

const EVENTS = builtinPrefix('', 'events');

test('ParseWatchCacheSizes: resource[.group]#size, group after the first dot, upstream\'s errors', () => {
  assert.deepEqual([...parseWatchCacheSizes(['pods#0', 'events.events.k8s.io#100', 'deployments.apps#+7', 'pods#3'])], [['pods', 3], ['events.events.k8s.io', 100], ['deployments.apps', 7]]);
  assert.throws(() => parseWatchCacheSizes(['pods']), /^Error: invalid value of watch cache size: pods$/);
  assert.throws(() => parseWatchCacheSizes(['pods#1#2']), /^Error: invalid value of watch cache size: pods#1#2$/);
  assert.throws(() => parseWatchCacheSizes(['pods#x']), /^Error: invalid size of watch cache size: pods#x$/);
  assert.throws(() => parseWatchCacheSizes(['pods#']), /^Error: invalid size of watch cache size: pods#$/);
  assert.throws(() => parseWatchCacheSizes(['pods#99999999999999999999']), /^Error: invalid size of watch cache size: pods#99999999999999999999$/);
  assert.throws(() => parseWatchCacheSizes(['pods#-1']), /^Error: watch cache size cannot be negative: pods#-1$/);
});

test('the uncached prefixes: Events by default; a 0 adds a resource; a prefix shared by several leaves only when all are 0', () => {
  assert.deepEqual([...defaultWatchCacheSizes()], [['events', 0], ['events.events.k8s.io', 0]]);
  assert.deepEqual(uncachedPrefixes(), [EVENTS]);
  assert.deepEqual(uncachedPrefixes({ enabled: true, sizes: new Map() }), [EVENTS]);
  // Unknown resources are ignored, as upstream's flag only reaches the resources built in.
  assert.deepEqual(new Set(uncachedPrefixes({ enabled: true, sizes: new Map([['pods', 0], ['configmaps', 5], ['nosuchthings', 0]]) })), new Set([EVENTS, builtinPrefix('', 'pods')]));
  // core Events cached again: events.k8s.io's Events share their storage, so both are served from memory.
  assert.deepEqual(uncachedPrefixes({ enabled: true, sizes: new Map([['events', 100]]) }), []);
  assert.deepEqual(uncachedPrefixes({ enabled: true, sizes: new Map([['events.events.k8s.io', 1]]) }), []);
  // A resource served at several versions from one storage (autoscaling v1 and v2): one prefix.
  assert.deepEqual(uncachedPrefixes({ enabled: true, sizes: new Map([['horizontalpodautoscalers.autoscaling', 0], ['events', 1]]) }), [builtinPrefix('autoscaling', 'horizontalpodautoscalers')]);
  assert.equal(uncachedPrefixes({ enabled: false, sizes: new Map() }), undefined);
});
