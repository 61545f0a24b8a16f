import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCel, newCelEnvironment } from './environment.ts';

const env = newCelEnvironment({ s: 'string' });

test('matches runs on RE2: a pattern that backtracks exponentially in JavaScript answers at once', () => {
  const c = compileCel(env, "s.matches('^([a-z]+)*$') || matches(s, 'z$')");
  assert.ok(c.ok);
  assert.equal(c.compiled.program({ s: `${'a'.repeat(5000)}!` }), false);
  assert.equal(c.compiled.program({ s: 'abc' }), true);
  assert.deepEqual([...c.compiled.identifiers], ['s']);
});

test('compile errors say "compilation failed", and a compiled expression is cached', () => {
  const bad = compileCel(env, 's ==');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.detail, /^compilation failed: /);
  assert.equal(compileCel(env, 's.size() > 1'), compileCel(env, 's.size() > 1'));
});
