import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { fieldManagerError, validateFieldManager } from './field-manager.ts';

const cases: Array<[string, string | undefined, boolean, string | undefined]> = [
  ['a name is fine', 'kubectl', true, undefined],
  ['empty is fine outside apply', '', false, undefined],
  ['128 bytes is fine', 'm'.repeat(128), true, undefined],
  ['empty is required for apply', undefined, true, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'],
  ['longer than 128 bytes', 'm'.repeat(129), true, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes'],
  ['non-printable characters', 'a\u0007b', true, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\ab": invalid character U+0007 (at position 1)'],
];

for (const [name, value, apply, want] of cases) {
  test(name, () => {
    const err = fieldManagerError(value, { apply });
    assert.equal(err?.message, want);
    if (want) {
      assert.equal(err?.code, 422);
      assert.equal(err?.reason, 'Invalid');
      assert.equal(err?.details?.kind, 'PatchOptions');
      assert.equal(err?.details?.group, 'meta.k8s.io');
      assert.equal(err?.details?.causes?.[0]?.field, 'fieldManager');
    }
  });
}

test('validateFieldManager throws the same error', () => {
  assert.throws(() => validateFieldManager(''), (e: unknown) => e instanceof ApiError && e.code === 422);
  assert.doesNotThrow(() => validateFieldManager('kubectl'));
});

test('the options kind can be named for create and update', () => {
  assert.match(fieldManagerError('\n', { apply: false, optionsKind: 'CreateOptions' })?.message ?? '', /^CreateOptions\.meta\.k8s\.io "" is invalid: fieldManager: Invalid value: "\\n"/);
});
