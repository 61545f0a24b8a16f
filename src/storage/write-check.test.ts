import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWrite } from './write-check.ts';
import type { WriteKind } from './write-check.ts';

test('write preconditions', () => {
  const live = { revision: 5 };
  const cases: Array<[WriteKind, { revision: number } | undefined, number | undefined, string | undefined]> = [
    ['create', undefined, undefined, undefined],
    ['create', live, undefined, 'KeyExists'],
    ['update', live, 5, undefined],
    ['update', live, 4, 'Conflict'],
    ['update', undefined, 5, 'NotFound'],
    ['delete', live, undefined, undefined],
    ['delete', live, 5, undefined],
    ['delete', live, 6, 'Conflict'],
    ['delete', undefined, undefined, 'NotFound'],
  ];
  for (const [kind, current, expected, want] of cases) {
    assert.equal(checkWrite(kind, '/k', current, expected)?.code, want, `${kind} ${JSON.stringify(current)} ${expected}`);
  }
});
