import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromFieldsV1, toFieldsV1 } from './field-set.ts';
import { includeFilterFor, includeMatches, prefixMatcher, RESIZE_INCLUDE } from './include-filter.ts';

test('includeMatches keeps what a prefix matcher matches, as Set.FilterIncludeMatches', () => {
  // structured-merge-diff's set_test case: spec.containers[*].resources out of a wider set.
  const set = fromFieldsV1({
    'f:metadata': { 'f:labels': { 'f:a': {} } },
    'f:spec': {
      '.': {},
      'f:nodeName': {},
      'f:containers': {
        'i:0': { '.': {}, 'f:image': {}, 'f:resources': { 'f:limits': { 'f:cpu': {} }, 'f:requests': { 'f:cpu': {} } } },
        'i:1': { 'f:image': {} },
      },
    },
  });
  const out = includeMatches(set, prefixMatcher([['spec', 'containers', '*', 'resources']]));
  // spec and the item itself stay (members matched at their level); an item with nothing left goes.
  assert.deepEqual(toFieldsV1(out), {
    'f:spec': { '.': {}, 'f:containers': { 'i:0': { '.': {}, 'f:resources': { 'f:limits': { 'f:cpu': {} }, 'f:requests': { 'f:cpu': {} } } } } },
  });
  assert.deepEqual(toFieldsV1(includeMatches(fromFieldsV1({ 'f:spec': { 'f:initContainers': { 'k:{"name":"s"}': { 'f:name': {}, 'f:resizePolicy': {} } } } }), RESIZE_INCLUDE)), {
    'f:spec': { 'f:initContainers': { 'k:{"name":"s"}': { 'f:resizePolicy': {} } } },
  });
  assert.equal(includeFilterFor('', 'Pod', 'status'), undefined);
  assert.equal(includeFilterFor('', 'Pod', 'resize'), RESIZE_INCLUDE);
});
