/**
 * Strategic merge patch cases replayed from upstream's own tests
 * (k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go, MergeItem schema): each applies
 * `patch` to `original` and expects `result` (or an error containing `error`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { ApiError } from '../errors.ts';
import { strategicMergePatch } from './strategic-merge-patch.ts';
import { MERGE_ITEM, fixtureSchema } from './test-fixture-schema.ts';

interface Case {
  description: string;
  original: object;
  patch: object;
  result?: object;
  error?: string;
}

const cases = YAML.parse(`
- description: unique scalars when merging lists
  original: { mergingIntList: [1, 2] }
  patch: { mergingIntList: [2, 3] }
  result: { mergingIntList: [1, 2, 3] }
- description: delete map from nested map
  original: { simpleMap: { key1: "1", key2: "1" } }
  patch: { simpleMap: { $patch: delete } }
  result: { simpleMap: {} }
- description: delete all items from merging list
  original: { mergingList: [{ name: 1 }, { name: 2 }] }
  patch: { mergingList: [{ $patch: replace }] }
  result: { mergingList: [] }
- description: merge empty merging lists
  original: { mergingList: [] }
  patch: { mergingList: [] }
  result: { mergingList: [] }
- description: delete all keys from map
  original: { name: 1, value: 1 }
  patch: { $patch: replace }
  result: {}
- description: add key and delete all keys from map
  original: { name: 1, value: 1 }
  patch: { other: a, $patch: replace }
  result: { other: a }
- description: delete all duplicate entries in a merging list
  original: { mergingList: [{ name: 1 }, { name: 1 }, { name: 2, value: a }, { name: 3 }, { name: 3 }] }
  patch: { mergingList: [{ name: 1, $patch: delete }, { name: 3, $patch: delete }] }
  result: { mergingList: [{ name: 2, value: a }] }
- description: retainKeys map can add a field when no retainKeys directive present
  original: { retainKeysMap: { name: foo } }
  patch: { retainKeysMap: { value: bar } }
  result: { retainKeysMap: { name: foo, value: bar } }
- description: retainKeys map can delete a field when no retainKeys directive present
  original: { retainKeysMap: { name: foo, value: a } }
  patch: { retainKeysMap: { value: null } }
  result: { retainKeysMap: { name: foo } }
- description: retainKeys list can change a field when no retainKeys directive present
  original: { retainKeysMergingList: [{ name: bar }, { name: foo, value: a }] }
  patch: { retainKeysMergingList: [{ name: foo, value: b }] }
  result: { retainKeysMergingList: [{ name: bar }, { name: foo, value: b }] }
- description: preserve the order from the patch in a merging list
  original: { mergingList: [{ name: 1 }, { name: 2, value: b }, { name: 3 }] }
  patch: { mergingList: [{ name: 3, value: c }, { name: 1, value: a }, { name: 2, other: x }] }
  result: { mergingList: [{ name: 3, value: c }, { name: 1, value: a }, { name: 2, value: b, other: x }] }
- description: preserve the order from the patch in a merging list 2
  original: { mergingList: [{ name: 1 }, { name: 2, value: b }, { name: 3 }] }
  patch: { mergingList: [{ name: 3, value: c }, { name: 1, value: a }] }
  result: { mergingList: [{ name: 2, value: b }, { name: 3, value: c }, { name: 1, value: a }] }
- description: preserve the order from the patch in a merging int list
  original: { mergingIntList: [1, 2, 3] }
  patch: { mergingIntList: [3, 1, 2] }
  result: { mergingIntList: [3, 1, 2] }
- description: preserve the order from the patch in a merging int list 2
  original: { mergingIntList: [1, 2, 3] }
  patch: { mergingIntList: [3, 1] }
  result: { mergingIntList: [2, 3, 1] }
- description: $setElementOrder contains item that is not present in the list to be merged
  original: { mergingList: [{ name: 1 }, { name: 3 }] }
  patch:
    $setElementOrder/mergingList: [{ name: 3 }, { name: 2 }, { name: 1 }]
    mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }]
  result: { mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }] }
- description: $setElementOrder contains item that is not present in the int list to be merged
  original: { mergingIntList: [1, 3] }
  patch: { $setElementOrder/mergingIntList: [3, 2, 1] }
  result: { mergingIntList: [3, 1] }
- description: should check if order in $setElementOrder and patch list match
  original: { mergingList: [{ name: 1 }, { name: 3 }, { name: 2 }] }
  patch:
    $setElementOrder/mergingList: [{ name: 1 }, { name: 2 }, { name: 3 }]
    mergingList: [{ name: 3, value: 3 }, { name: 1, value: 1 }]
  error: doesn't match
- description: should check if order in $setElementOrder and patch int list match
  original: { mergingIntList: [1, 3, 2] }
  patch: { $setElementOrder/mergingIntList: [1, 2, 3], mergingIntList: [3, 1] }
  error: doesn't match
- description: missing merge key should error out
  original: { mergingList: [{ name: 1, value: a }] }
  patch: { mergingList: [{ value: b }] }
  error: does not contain declared merge key
- description: $deleteFromPrimitiveList of nonexistent item should not add the item
  original: { mergingIntList: [1, 2] }
  patch: { $deleteFromPrimitiveList/mergingIntList: [3] }
  result: { mergingIntList: [1, 2] }
- description: $deleteFromPrimitiveList on nonexistent primitive list should not add the list
  original: { foo: [bar] }
  patch: { $deleteFromPrimitiveList/mergingIntList: [3] }
  result: { foo: [bar] }
- description: $deleteFromPrimitiveList deletes from a list with merge strategy
  original: { mergingIntList: [1, 2, 3] }
  patch: { $deleteFromPrimitiveList/mergingIntList: [2] }
  result: { mergingIntList: [1, 3] }
- description: $deleteFromPrimitiveList deletes from a list without merge strategy
  original: { nonMergingIntList: [1, 2, 3] }
  patch: { $deleteFromPrimitiveList/nonMergingIntList: [2] }
  result: { nonMergingIntList: [1, 3] }
- description: nested patch merge with empty list
  original: { name: hi }
  patch: { mergingList: [{ name: hello }, { $patch: delete, name: doesntexist }] }
  result: { name: hi, mergingList: [{ name: hello }] }
- description: delete items in lists of scalars (three-way)
  original: { mergingIntList: [1, 2, 3, 4] }
  patch: { $setElementOrder/mergingIntList: [1, 2], $deleteFromPrimitiveList/mergingIntList: [3] }
  result: { mergingIntList: [1, 2, 4] }
- description: add and delete items in lists of scalars (three-way)
  original: { mergingIntList: [1, 2, 3, 4] }
  patch: { $setElementOrder/mergingIntList: [1, 2, 4], $deleteFromPrimitiveList/mergingIntList: [3] }
  result: { mergingIntList: [1, 2, 4] }
- description: merge lists of maps (three-way)
  original: { mergingList: [{ name: 1, other: a }, { name: 2, value: 2, other: b }] }
  patch:
    $setElementOrder/mergingList: [{ name: 4 }, { name: 1 }, { name: 2 }, { name: 3 }]
    mergingList: [{ name: 4, value: 4 }, { name: 3, value: 3 }]
  result: { mergingList: [{ name: 4, value: 4 }, { name: 1, other: a }, { name: 2, value: 2, other: b }, { name: 3, value: 3 }] }
- description: delete field from nested map (three-way)
  original: { simpleMap: { key1: "1", key2: "1", other: a } }
  patch: { simpleMap: { key2: null } }
  result: { simpleMap: { key1: "1", other: a } }
- description: replace list of scalars
  original: { nonMergingIntList: [1, 2] }
  patch: { nonMergingIntList: [2, 3] }
  result: { nonMergingIntList: [2, 3] }
- description: defined null values should not be stored
  original: { name: 2 }
  patch: { name: 1, value: 1, other: null }
  result: { name: 1, value: 1 }
`) as Case[];

describe('strategic merge patch: upstream patch_test.go cases', () => {
  for (const c of cases) {
    test(c.description, () => {
      if (c.error !== undefined) {
        assert.throws(
          () => strategicMergePatch(fixtureSchema, MERGE_ITEM, c.original, c.patch),
          (err) => err instanceof ApiError && err.message.includes(c.error as string),
        );
      } else {
        assert.deepEqual(strategicMergePatch(fixtureSchema, MERGE_ITEM, c.original, c.patch), c.result);
      }
    });
  }
});
