import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCel, newCelEnvironment } from './environment.ts';
import { CelCostExceeded, CostMeter, instrumentCost, meteredVars } from './cost.ts';

const env = newCelEnvironment({ l: 'list', n: 'int' });
const list = Array.from({ length: 1000 }, (_, i) => BigInt(i));

function metered(expression: string, limit: number) {
  const c = compileCel(env, expression);
  assert.ok(c.ok);
  const staticCost = instrumentCost(c.compiled.ast);
  const meter = new CostMeter(limit);
  meter.charge(staticCost);
  return { run: () => c.compiled.program(meteredVars({ l: list, n: 3n }, meter)), meter, staticCost };
}

test('an expression without comprehensions costs its node count', () => {
  const m = metered('n + 1 > 2 && n < 10', 1000);
  assert.equal(m.run(), true);
  assert.equal(m.meter.used, m.staticCost);
});

test('each iteration charges the size of the step: a map over 1000 items costs about 1000 times its step', () => {
  const m = metered('l.map(x, x * 2).size() == 1000', 1_000_000);
  assert.equal(m.run(), true);
  assert.ok(m.meter.used >= 4000 && m.meter.used < 10_000, String(m.meter.used));
});

test('nested comprehensions over a large list stop at the limit with cel-go\'s message', () => {
  const m = metered('l.all(a, l.all(b, l.all(c, true)))', 1_000_000);
  assert.throws(m.run, (err: Error) => err instanceof CelCostExceeded && err.message === 'operation cancelled: actual cost limit exceeded');
  assert.ok(m.meter.used > 1_000_000);
});

test('exists cannot swallow the limit: the error is thrown even when a later element is true', () => {
  const m = metered('l.exists(a, l.exists(b, b == 999) && a == 999)', 50_000);
  assert.throws(m.run, /cost limit exceeded/);
});

test('instrumenting twice charges once, and an unmetered evaluation is not charged', () => {
  const c = compileCel(env, 'l.filter(x, x > 990).size()');
  assert.ok(c.ok);
  instrumentCost(c.compiled.ast);
  instrumentCost(c.compiled.ast);
  const meter = new CostMeter(100_000);
  assert.equal(c.compiled.program(meteredVars({ l: list }, meter)), 9n);
  const once = meter.used;
  assert.ok(once >= 1000 && once < 10_000, String(once));
  assert.equal(c.compiled.program({ l: list }), 9n);
});
