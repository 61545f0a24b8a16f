import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand } from './expand.ts';

// Cases from upstream's expansion_test.go.
const vars: Record<string, string> = { VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' };
const look = (n: string): string | undefined => vars[n];

test('$(VAR) expansion as upstream', () => {
  const cases: Array<[string, string]> = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['$(VAR_A)$(VAR_B)$(VAR_C)', 'ABC'],
    ['$(VAR_REF)', '$(VAR_A)'],
    ['$(VAR_EMPTY)', ''],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$(VAR_A', '$(VAR_A'],
    ['$VAR_A', '$VAR_A'],
    ['foo$', 'foo$'],
    ['$', '$'],
    ['$()', '$()'],
    ['f00__(VAR_A)__', 'f00__(VAR_A)__'],
    ['$(VAR_A)))', 'A))'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, look), want, input);
});
