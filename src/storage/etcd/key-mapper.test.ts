import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesPrefixEnd, KeyMapper } from './key-mapper.ts';
import { StorageError } from '../types.ts';
import { IDENTITY_LAYOUT } from './etcd-layout.ts';

const s = (b: Buffer | undefined) => b?.toString('utf8');

test('bytesPrefixEnd: the next byte string after every string with the prefix', () => {
  assert.deepEqual(bytesPrefixEnd(Buffer.from('/a/')), Buffer.from('/a0'));
  assert.deepEqual(bytesPrefixEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(bytesPrefixEnd(Buffer.from([0xff])), Buffer.from([0]), 'no end: etcd\'s "\\0"');
});

test('the store root is replaced by the etcd prefix, both ways', () => {
  const m = new KeyMapper('/registry', '/cluster-a');
  assert.equal(s(m.toEtcd('/registry/core/pods/ns/p')), '/cluster-a/pods/ns/p');
  assert.equal(m.fromEtcd(Buffer.from('/cluster-a/pods/ns/p')), '/registry/core/pods/ns/p');
  assert.throws(() => m.toEtcd('/elsewhere/x'), (e: unknown) => e instanceof StorageError && e.code === 'Internal');
  const any = new KeyMapper('', '/c');
  assert.equal(s(any.toEtcd('/core/pods/x')), '/c/core/pods/x', 'outside the API server root keys keep their paths');
});

test("under /registry, kube-apiserver's layout: the resource (or its special prefix), not the group; custom resources by group", () => {
  const m = new KeyMapper('/registry', '/registry');
  const both = (store: string, etcd: string) => {
    assert.equal(s(m.toEtcd(store)), etcd);
    assert.equal(m.fromEtcd(Buffer.from(etcd)), store);
  };
  both('/registry/core/pods/ns/p', '/registry/pods/ns/p');
  both('/registry/apps/deployments/ns/d', '/registry/deployments/ns/d');
  both('/registry/core/nodes/n1', '/registry/minions/n1');
  both('/registry/core/services/ns/s', '/registry/services/specs/ns/s');
  both('/registry/core/endpoints/ns/s', '/registry/services/endpoints/ns/s');
  both('/registry/core/replicationcontrollers/ns/rc', '/registry/controllers/ns/rc');
  both('/registry/networking.k8s.io/ingresses/ns/i', '/registry/ingress/ns/i');
  both('/registry/rbac.authorization.k8s.io/clusterroles/admin', '/registry/clusterroles/admin');
  both('/registry/apiextensions.k8s.io/customresourcedefinitions/crontabs.example.com', '/registry/apiextensions.k8s.io/customresourcedefinitions/crontabs.example.com');
  both('/registry/apiregistration.k8s.io/apiservices/v1.example.com', '/registry/apiregistration.k8s.io/apiservices/v1.example.com');
  both('/registry/_customresources/example.com/crontabs/ns/c', '/registry/example.com/crontabs/ns/c');
  both('/registry/_masterleases/10.0.0.1', '/registry/_masterleases/10.0.0.1');
  // Keys of another layout (Portcullis before, or a place upstream gives a resource) are not the store's.
  assert.equal(m.fromEtcd(Buffer.from('/registry/core/pods/ns/p')), undefined);
  assert.equal(m.fromEtcd(Buffer.from('/registryx/pods/ns/p')), undefined);
  assert.throws(() => m.toEtcd('/registry/pods/ns/p'), /no place in kube-apiserver's etcd layout/);
  assert.throws(() => m.toEtcd('/registry/example.com/crontabs/x'), /no place/);
  assert.throws(() => m.toEtcd('/registry/_customresources/apiextensions.k8s.io/customresourcedefinitions/x'), /no place/, "never a built-in's key");
});

test('ranges in the layout: a resource or namespace is one prefix; a group reads the registry, filtered', () => {
  const m = new KeyMapper('/registry', '/registry');
  const pods = m.range('/registry/core/pods/ns/');
  assert.deepEqual([s(pods?.key), s(pods?.rangeEnd), pods?.filter], ['/registry/pods/ns/', '/registry/pods/ns0', undefined]);
  assert.equal(s(m.range('/registry/core/pods/', '/registry/core/pods/ns/b\0')?.key), '/registry/pods/ns/b\0');
  assert.equal(s(m.range('/registry/_customresources/example.com/crontabs/')?.key), '/registry/example.com/crontabs/');
  const rbac = m.range('/registry/rbac.authorization.k8s.io/');
  assert.deepEqual([s(rbac?.key), s(rbac?.rangeEnd)], ['/registry/', '/registry0']);
  assert.equal(rbac?.filter?.('/registry/rbac.authorization.k8s.io/roles/ns/r'), true);
  assert.equal(rbac?.filter?.('/registry/core/pods/ns/p'), false);
  assert.equal(m.range('')?.filter, undefined, 'the whole root: every key of the store');
  assert.equal(m.range('/registry/example.com/crontabs/'), undefined, 'no store key under it has a place in etcd');
});

test('ranges: under the root, above it, outside it, from a continue position', () => {
  const m = new KeyMapper('/registry', '/c', IDENTITY_LAYOUT);
  assert.deepEqual([s(m.range('/registry/core/')?.key), s(m.range('/registry/core/')?.rangeEnd)], ['/c/core/', '/c/core0']);
  // A prefix of the root: every key of the root.
  assert.deepEqual([s(m.range('')?.key), s(m.range('/reg')?.rangeEnd)], ['/c', '/d']);
  assert.equal(m.range('/other/'), undefined);
  assert.equal(s(m.range('/registry/core/', '/registry/core/b\0')?.key), '/c/core/b\0');
  // A continue position outside the root: before it every key follows, after it none does.
  assert.equal(s(m.range('', '/a')?.key), '/c');
  assert.equal(m.range('', '/z'), undefined);
  const all = new KeyMapper('', '');
  assert.deepEqual([all.range('')?.key, all.range('')?.rangeEnd], [Buffer.from([0]), Buffer.from([0])]);
});

test('keys are mapped as the layout maps them, with the parent path remembered: names, empty names, parents with no place', () => {
  const m = new KeyMapper('/registry', '/registry');
  const layout = m.layout;
  const rels = [
    '/core/pods/ns/a', '/core/pods/ns/b', '/core/pods/other/a', '/core/nodes/n1', '/core/nodes/n2',
    '/core/services/ns/s', '/core/services/ns/t', '/_masterleases/10.0.0.1', '/_masterleases/10.0.0.2',
    '/_customresources/example.com/crontabs/ns/c', '/_customresources/example.com/crontabs/ns/d',
    '/pods/ns/p', '/pods/ns/q', '/example.com/crontabs/x', '/example.com/crontabs/y', '/core/pods/', '/core/pods/x',
    '/', '/x', '/y', '/_customresources/apiextensions.k8s.io/customresourcedefinitions/a', '/_customresources/apiextensions.k8s.io/customresourcedefinitions/b',
  ];
  // Twice: the second pass is answered from the remembered parents.
  for (let pass = 0; pass < 2; pass++) {
    for (const rel of rels) {
      const up = layout.toEtcd(rel);
      if (up === undefined) assert.throws(() => m.toEtcd(`/registry${rel}`), /no place/, rel);
      else assert.equal(s(m.toEtcd(`/registry${rel}`)), `/registry${up}`, rel);
      const down = layout.fromEtcd(rel);
      assert.equal(m.fromEtcd(Buffer.from(`/registry${rel}`)), down === undefined ? undefined : `/registry${down}`, rel);
    }
  }
});

test('the remembered parents are bounded: past the bound keys still map right', () => {
  const m = new KeyMapper('/registry', '/registry');
  for (let i = 0; i < 10_000; i++) {
    assert.equal(s(m.toEtcd(`/registry/core/pods/ns-${i}/p`)), `/registry/pods/ns-${i}/p`);
    assert.equal(m.fromEtcd(Buffer.from(`/registry/pods/ns-${i}/p`)), `/registry/core/pods/ns-${i}/p`);
  }
  assert.equal(s(m.toEtcd('/registry/core/pods/ns-0/q')), '/registry/pods/ns-0/q');
});
