import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceRegistry } from './registry.ts';
import { builtinResources } from './builtin.ts';
import { CUSTOM_RESOURCE_ROOT, objectKey, storagePrefix, type ResourceDef } from './resource-def.ts';

const registry = () => new ResourceRegistry(builtinResources());

function custom(group: string, version: string, resource: string, crdName = `${resource}.${group}`): ResourceDef {
  const [base] = builtinResources().filter((d) => d.group === '' && d.resource === 'configmaps');
  return { ...base!, group, version, resource, kind: 'Thing', listKind: 'ThingList', custom: { crdName } };
}

test('a custom resource cannot shadow a built-in group/resource at any version', () => {
  const r = registry();
  assert.throws(() => r.add(custom('rbac.authorization.k8s.io', 'v9', 'clusterrolebindings')), /is a built-in resource/);
  assert.throws(() => r.add(custom('networking.k8s.io', 'v1', 'networkpolicies')), /is a built-in resource/);
  assert.equal(r.get('rbac.authorization.k8s.io', 'v9', 'clusterrolebindings'), undefined);
  assert.equal(r.get('networking.k8s.io', 'v1', 'networkpolicies')?.custom, undefined);
});

test('a custom resource cannot join a built-in group/version', () => {
  const r = registry();
  assert.throws(() => r.add(custom('networking.k8s.io', 'v1', 'gadgets')), /is a built-in API group\/version/);
  r.add(custom('networking.k8s.io', 'v7', 'gadgets'));
  assert.ok(r.get('networking.k8s.io', 'v7', 'gadgets'));
});

test('a custom resource cannot take another CRD\'s resource', () => {
  const r = registry();
  r.add(custom('example.com', 'v1', 'widgets'));
  r.add(custom('example.com', 'v2', 'widgets'));
  assert.throws(() => r.add(custom('example.com', 'v3', 'widgets', 'other.example.com')), /served by CustomResourceDefinition widgets.example.com/);
});

test('custom resources are stored apart from every built-in', () => {
  const crb = builtinResources().find((d) => d.resource === 'clusterrolebindings')!;
  const fake = custom('rbac.authorization.k8s.io', 'v9', 'clusterrolebindings');
  assert.equal(storagePrefix(crb), '/registry/rbac.authorization.k8s.io/clusterrolebindings/');
  assert.equal(storagePrefix(fake), `${CUSTOM_RESOURCE_ROOT}rbac.authorization.k8s.io/clusterrolebindings/`);
  for (const b of builtinResources()) {
    assert.ok(!storagePrefix(b).startsWith(CUSTOM_RESOURCE_ROOT), b.resource);
    assert.ok(!CUSTOM_RESOURCE_ROOT.startsWith(storagePrefix(b)), b.resource);
  }
  assert.notEqual(objectKey({ ...fake, namespaced: false }, '', 'x'), objectKey(crb, '', 'x'));
});

test('object-count quota looks for custom resources in their key space', async () => {
  const { keyPrefixFor } = await import('../../admission/quota/calculate-usage.ts');
  assert.equal(keyPrefixFor('example.com', 'widgets', 'ns'), `${CUSTOM_RESOURCE_ROOT}example.com/widgets/ns/`);
  assert.equal(keyPrefixFor('', 'configmaps', 'ns'), '/registry/core/configmaps/ns/');
  assert.equal(keyPrefixFor('apps', 'deployments', 'ns'), '/registry/apps/deployments/ns/');
});

test('served group/versions follow CRDs added and removed (the answer is kept between changes)', () => {
  const r = registry();
  assert.equal(r.servesGroupVersion('coordination.k8s.io/v1'), true);
  assert.equal(r.servesGroupVersion('example.com/v1'), false);
  r.add(custom('example.com', 'v1', 'widgets'));
  assert.equal(r.servesGroupVersion('example.com/v1'), true);
  assert.ok(r.groupVersions().includes('example.com/v1'));
  // The list handed out is a copy: changing it changes nothing served.
  r.groupVersions().push('other.io/v1');
  assert.equal(r.servesGroupVersion('other.io/v1'), false);
  r.remove('example.com', 'v1', 'widgets');
  assert.equal(r.servesGroupVersion('example.com/v1'), false);
  assert.ok(!r.groupVersions().includes('example.com/v1'));
});
