import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketOfKey, OTHER, resourcePrefixOf } from './resource-prefix.ts';
import { builtinResources } from '../api/registry/builtin.ts';
import { customResourcePrefix, listPrefix, objectKey, storagePrefix } from '../api/registry/resource-def.ts';

test("every built-in resource's keys and list prefixes fall in its storage prefix's history", () => {
  const defs = builtinResources();
  assert.ok(defs.length > 40);
  for (const def of defs) {
    const prefix = storagePrefix(def);
    assert.equal(resourcePrefixOf(prefix), prefix, prefix);
    assert.equal(bucketOfKey(objectKey(def, 'ns', 'name')), prefix);
    assert.equal(resourcePrefixOf(listPrefix(def, 'ns')), prefix);
    assert.equal(resourcePrefixOf(listPrefix(def, '')), prefix);
  }
});

test('custom resources have a history each; prefixes across resources have none; other keys share one', () => {
  const cr = customResourcePrefix('example.com', 'widgets');
  assert.equal(bucketOfKey(`${cr}ns/w1`), cr);
  assert.equal(resourcePrefixOf(`${cr}ns/`), cr);
  for (const across of ['', '/', '/registry/', '/registry/core/', '/registry/core/po', '/registry/_customresources/', `/registry/_customresources/example.com/`]) {
    assert.equal(resourcePrefixOf(across), undefined, across);
  }
  assert.equal(bucketOfKey('/m/a'), OTHER);
  assert.equal(resourcePrefixOf('/m/'), OTHER);
  assert.equal(bucketOfKey('/registry/oddkey'), OTHER, 'no object key, so any watch that could see it spans histories');
});
