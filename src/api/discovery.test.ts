import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregatedDiscovery, negotiateDiscovery } from './discovery.ts';
import { ResourceRegistry } from './registry/registry.ts';
import { builtinResources } from './registry/builtin.ts';

test('aggregated discovery version follows the Accept header', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', 'v2'],
    ['application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', 'v2beta1'],
    ['application/json', undefined],
    [undefined, undefined],
    ['application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList', undefined],
  ];
  for (const [accept, want] of cases) assert.equal(negotiateDiscovery(accept), want, String(accept));
});

test('the core group document lists pods with short names and categories', () => {
  const doc = aggregatedDiscovery(new ResourceRegistry(builtinResources()), true, 'v2beta1') as any;
  assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2beta1');
  const pods = doc.items[0].versions[0].resources.find((r: any) => r.resource === 'pods');
  assert.deepEqual(pods.shortNames, ['po']);
  assert.deepEqual(pods.categories, ['all']);
  assert.equal(pods.scope, 'Namespaced');
  assert.ok(pods.subresources.some((s: any) => s.subresource === 'status'));
});
