import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WatchEvent, WatchHandlers } from '../../storage/types.ts';
import { followBackends, serviceOf } from './backend-changes.ts';

type Obj = Record<string, any>;

function fakeStore() {
  const watches: Array<{ prefix: string; rev: number; h: WatchHandlers<Obj>; closed: boolean }> = [];
  let rev = 7;
  return {
    watches,
    bump: () => ++rev,
    store: {
      currentRevision: () => rev,
      watch: <T>(prefix: string, from: number, h: WatchHandlers<T>) => {
        const w = { prefix, rev: from, h: h as unknown as WatchHandlers<Obj>, closed: false };
        watches.push(w);
        return { close: () => void (w.closed = true) };
      },
    },
  };
}

const apiService = (name: string, ns: string, svc: string) => ({ metadata: { name }, spec: { service: { namespace: ns, name: svc, port: 443 } } });
const event = (value: Obj, prevValue?: Obj): WatchEvent<Obj> => ({ type: 'MODIFIED', key: 'k', value, prevValue, revision: 8, createRevision: 1 });

test('a change to a Service, its Endpoints or one of its EndpointSlices checks the APIServices naming that Service, and only those', () => {
  const f = fakeStore();
  const enqueued: string[] = [];
  const services = [apiService('v1beta1.metrics.k8s.io', 'kube-system', 'metrics-server'), apiService('v1.other.io', 'other', 'api'), { metadata: { name: 'v1.local' }, spec: {} }];
  const b = followBackends({ store: f.store as never, apiServices: () => services, enqueue: (n) => enqueued.push(n), onError: () => assert.fail('no error') });
  assert.deepEqual(f.watches.map((w) => [w.prefix, w.rev]), [
    ['/registry/core/services/', 7],
    ['/registry/core/endpoints/', 7],
    ['/registry/discovery.k8s.io/endpointslices/', 7],
  ]);
  const [svcW, epW, sliceW] = f.watches;
  sliceW!.h.onEvent(event({ metadata: { namespace: 'kube-system', name: 'metrics-server-sim', labels: { 'kubernetes.io/service-name': 'metrics-server' } } }));
  assert.deepEqual(enqueued, ['v1beta1.metrics.k8s.io']);
  epW!.h.onEvent(event({ metadata: { namespace: 'other', name: 'api' } }));
  svcW!.h.onEvent(event({ metadata: { namespace: 'kube-system', name: 'unrelated' } }));
  assert.deepEqual(enqueued, ['v1beta1.metrics.k8s.io', 'v1.other.io']);
  // A slice moved from one Service to another concerns both.
  enqueued.length = 0;
  sliceW!.h.onEvent(event({ metadata: { namespace: 'other', name: 's', labels: { 'kubernetes.io/service-name': 'api' } } }, { metadata: { namespace: 'kube-system', name: 's', labels: { 'kubernetes.io/service-name': 'metrics-server' } } }));
  assert.deepEqual(enqueued.sort(), ['v1.other.io', 'v1beta1.metrics.k8s.io']);
  b.stop();
  assert.ok(f.watches.every((w) => w.closed));
});

test('a broken watch watches again from the current revision and checks every APIService with a Service, as changes may have been missed', async () => {
  const f = fakeStore();
  const enqueued: string[] = [];
  const errors: unknown[] = [];
  const services = [apiService('a', 'ns', 'x'), apiService('b', 'ns', 'y'), { metadata: { name: 'v1.local' }, spec: {} }];
  const b = followBackends({ store: f.store as never, apiServices: () => services, enqueue: (n) => enqueued.push(n), onError: (e) => errors.push(e), retryMs: 5 });
  f.bump();
  f.watches[1]!.h.onError!(new Error('compacted'));
  f.watches[2]!.h.onError!(new Error('compacted'));
  assert.equal(errors.length, 1, 'one restart for a burst of failures');
  assert.ok(f.watches.slice(0, 3).every((w) => w.closed));
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(f.watches.slice(3).map((w) => w.rev), [8, 8, 8]);
  assert.deepEqual(enqueued, ['a', 'b']);
  b.stop();
});

test('serviceOf: EndpointSlices by their service-name label, Services and Endpoints by their name', () => {
  assert.equal(serviceOf('/registry/discovery.k8s.io/endpointslices/', { metadata: { namespace: 'n', name: 'x-abc', labels: { 'kubernetes.io/service-name': 'x' } } }), 'n/x');
  assert.equal(serviceOf('/registry/discovery.k8s.io/endpointslices/', { metadata: { namespace: 'n', name: 'x-abc' } }), undefined);
  assert.equal(serviceOf('/registry/core/endpoints/', { metadata: { namespace: 'n', name: 'x' } }), 'n/x');
});
