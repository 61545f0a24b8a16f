import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResourceRegistry } from '../api/registry/registry.ts';
import { builtinResources } from '../api/registry/builtin.ts';
import type { Store } from '../storage/types.ts';
import { ApiserverMetrics } from './apiserver-metrics.ts';
import { InstrumentedStore, storeType } from './store-metrics.ts';

test('the type label of a key or prefix is upstream\'s group-resource', () => {
  assert.equal(storeType('/registry/core/pods/default/p'), 'pods');
  assert.equal(storeType('/registry/core/pods/'), 'pods');
  assert.equal(storeType('/registry/apps/deployments/ns/d'), 'deployments.apps');
  assert.equal(storeType('/registry/_customresources/example.com/widgets/ns/w'), 'widgets.example.com');
  assert.equal(storeType('/somewhere/else'), 'other');
});

test('every call is passed on and timed; readiness is the inner store\'s', async () => {
  const calls: string[] = [];
  let healthy = true;
  const inner = {
    async get(k: string) {
      calls.push(`get ${k}`);
      return undefined;
    },
    async create(k: string) {
      calls.push(`create ${k}`);
      throw new Error('full');
    },
    async checkHealth() {
      if (!healthy) throw new Error('down');
    },
  } as unknown as Store;
  const m = new ApiserverMetrics(new ResourceRegistry(builtinResources()));
  const s = new InstrumentedStore(inner, m);
  await s.get('/registry/core/pods/a/b');
  await assert.rejects(s.create('/registry/apps/deployments/a/b', {}), /full/);
  assert.deepEqual(calls, ['get /registry/core/pods/a/b', 'create /registry/apps/deployments/a/b']);
  const text = await m.registry.metrics();
  assert.match(text, /etcd_request_duration_seconds_count\{operation="get",type="pods"\} 1/);
  assert.match(text, /etcd_request_duration_seconds_count\{operation="create",type="deployments.apps"\} 1/, 'a failed call is timed too');
  await s.checkHealth!();
  healthy = false;
  await assert.rejects(s.checkHealth!(), /down/);
  assert.equal(new InstrumentedStore({} as Store, m).checkHealth, undefined, 'no readiness check where the inner store has none');
});
