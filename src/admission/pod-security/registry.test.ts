import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ALLOWED } from './format.ts';
import { createCheckRegistry, InvalidCheckError } from './registry.ts';
import type { CheckDefinition } from './types.ts';

const ok = () => ALLOWED;

test('malformed check lists are rejected when the registry is built', () => {
  const cases: Array<[string, CheckDefinition[], string]> = [
    ['duplicate ID', [
      { id: 'a', level: 'baseline', versions: [{ minVersion: 0, check: ok }] },
      { id: 'a', level: 'restricted', versions: [{ minVersion: 0, check: ok }] },
    ], 'multiple checks registered for ID a'],
    ['no versions', [{ id: 'a', level: 'baseline', versions: [] }], 'check a: empty'],
    ['versions out of order', [{ id: 'a', level: 'baseline', versions: [{ minVersion: 5, check: ok }, { minVersion: 5, check: ok }] }],
      'check a: versions must be strictly increasing'],
    ['baseline overrides', [{ id: 'a', level: 'baseline', versions: [{ minVersion: 0, check: ok, overrides: ['b'] }] }],
      'check a: only restricted checks may set overrides'],
    ['restricted overriding restricted', [
      { id: 'a', level: 'restricted', versions: [{ minVersion: 0, check: ok, overrides: ['b'] }] },
      { id: 'b', level: 'restricted', versions: [{ minVersion: 0, check: ok }] },
    ], 'check a: overrides restricted check b'],
  ];
  for (const [name, checks, message] of cases) {
    assert.throws(() => createCheckRegistry(checks), (e: unknown) => e instanceof InvalidCheckError && e.message === message, name);
  }
});

test('overrides replace a baseline check only from the overriding revision on', () => {
  const checks: CheckDefinition[] = [
    { id: 'z_base', level: 'baseline', versions: [{ minVersion: 0, check: ok }] },
    { id: 'a_base', level: 'baseline', versions: [{ minVersion: 0, check: ok }] },
    { id: 'r', level: 'restricted', versions: [{ minVersion: 3, check: ok, overrides: ['z_base'] }] },
  ];
  const reg = createCheckRegistry(checks);
  assert.equal(reg.maxMinor, 3);
  assert.deepEqual(reg.checksFor('restricted', 2).ids, ['a_base', 'z_base']);
  assert.deepEqual(reg.checksFor('restricted', 3).ids, ['a_base', 'r']);
  assert.deepEqual(reg.checksFor('restricted', 99).ids, ['a_base', 'r']);
  assert.deepEqual(reg.checksFor('baseline', 3).ids, ['a_base', 'z_base']);
  assert.equal(reg.checksFor('restricted', 3).overriddenBy.get('z_base'), 'r');
});
