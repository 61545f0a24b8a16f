/**
 * Differential test of the closure compiler (src/cel/closures.ts) against cel-js's interpreter:
 * the same expression on the same variables must give the same value (int vs uint vs double
 * included), the same error message and the same cost. Expressions: the policy library's, written
 * out error cases and a generated set; variables: the library's test objects and synthetic ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryObjects } from 'node:v8';
import { compileCel, type CelCompiled } from './environment.ts';
import { CostMeter, instrumentCost, meteredVars } from './cost.ts';
import { difference, observe } from './crosscheck.ts';
import { policyEnv } from '../admission/cel/policy-env.ts';
import { toCelValue } from '../api/crd/cel-value.ts';
import { ERROR_CASES, SYNTHETIC_OBJECTS, generatedExpressions, libraryCorpus } from './closures-corpus.test-support.ts';

type Vars = Record<string, unknown>;

function compiled(expression: string): CelCompiled | undefined {
  const c = compileCel(policyEnv, expression);
  if (!c.ok) return undefined;
  // As admission policies do: cel-js's program then charges comprehension steps too.
  instrumentCost(c.compiled.ast);
  return c.compiled;
}

const closed = (c: CelCompiled): boolean => c.program !== c.interpreted;

/** Compares both engines on `vars` with a fresh meter of `limit`; returns the difference, if any. */
function compare(c: CelCompiled, vars: Vars, limit = 1_000_000): string | undefined {
  const v = meteredVars({ ...vars }, new CostMeter(limit));
  return difference(observe(c.program, v), observe(c.interpreted, v));
}

function request(operation: string): Vars {
  return { operation, kind: { group: '', version: 'v1', kind: 'Pod' }, namespace: 'team-a', name: 'x', userInfo: { username: 'alice', groups: ['system:authenticated'] }, dryRun: false };
}

function inputs(objects: Record<string, unknown>[]): Vars[] {
  const out: Vars[] = [];
  objects.forEach((o, i) => {
    const other = objects[(i + 1) % objects.length] ?? null;
    out.push({ object: toCelValue(undefined, o), oldObject: null, request: request('CREATE'), params: null, namespaceObject: null });
    out.push({ object: toCelValue(undefined, o), oldObject: toCelValue(undefined, other), request: request('UPDATE'), params: toCelValue(undefined, other), namespaceObject: toCelValue(undefined, { metadata: { name: 'team-a', labels: { tenant: 'a' } } }) });
  });
  out.push({ object: null, oldObject: toCelValue(undefined, objects[0]), request: request('DELETE'), params: null, namespaceObject: null });
  return out;
}

function check(expressions: string[], vars: Vars[], label: string): { closures: number; fallback: string[]; rejected: number; runs: number } {
  const failures: string[] = [];
  let closures = 0;
  const fallback: string[] = [];
  let rejected = 0;
  let runs = 0;
  for (const e of expressions) {
    const c = compiled(e);
    if (!c) {
      rejected++;
      continue;
    }
    if (closed(c)) closures++;
    else fallback.push(e);
    for (const v of vars) {
      runs++;
      const d = compare(c, v);
      if (d !== undefined && failures.length < 10) failures.push(`${label}: ${e}\n  on ${JSON.stringify(v.object, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))}\n  closures vs cel-js: ${d}`);
    }
  }
  assert.deepEqual(failures, []);
  return { closures, fallback, rejected, runs };
}

test('the policy library: every expression gives what cel-js gives on every test object', () => {
  const { policies, objects } = libraryCorpus();
  assert.ok(policies.length >= 10 && objects.length >= 20, `library read: ${policies.length} policies, ${objects.length} objects`);
  const base = inputs(objects);
  let closures = 0;
  let total = 0;
  for (const p of policies) {
    const failures: string[] = [];
    for (const v of base) {
      // The policy's variables as cel-js computes them (one that fails is left out: both then miss it).
      const variables: Vars = {};
      for (const { name, expression } of p.variables) {
        const c = compiled(expression);
        if (!c) continue;
        const d = compare(c, { ...v, variables });
        if (d !== undefined) failures.push(`${p.name} variable ${name}: ${d}`);
        try {
          variables[name] = c.interpreted({ ...v, variables });
        } catch {
          // Left out.
        }
      }
      for (const e of p.expressions) {
        const c = compiled(e);
        if (!c) continue;
        const d = compare(c, { ...v, variables });
        if (d !== undefined) failures.push(`${p.name}: ${e}: ${d}`);
      }
    }
    assert.deepEqual(failures.slice(0, 5), [], p.name);
    for (const e of [...p.variables.map((x) => x.expression), ...p.expressions]) {
      const c = compiled(e);
      if (!c) continue;
      total++;
      if (closed(c)) closures++;
    }
  }
  // The authorizer's checks are asynchronous and stay with cel-js; nearly all others are closures.
  assert.ok(closures >= total * 0.9, `${closures} of ${total} library expressions compiled to closures`);
});

test('error cases: division by zero, int64 overflow, missing keys, non-bool operands, absorption by && and ||', () => {
  const r = check(ERROR_CASES, inputs(SYNTHETIC_OBJECTS), 'error case');
  assert.equal(r.rejected, 0, 'every error case type-checks');
  // cel-js's optional namespace (its none() is registered as maybe asynchronous) is left to cel-js.
  assert.deepEqual(r.fallback, ['object.?spec.?replicas.or(optional.none()).hasValue()', 'optional.none().value()']);
});

test('generated expressions: same values, errors and costs as cel-js on objects with missing and odd fields', () => {
  const exprs = generatedExpressions(1500);
  const r = check(exprs, inputs(SYNTHETIC_OBJECTS), 'generated');
  assert.ok(r.closures >= 500, `closures ${r.closures}, fallback ${r.fallback.length}, rejected ${r.rejected} of ${exprs.length}`);
  assert.deepEqual(r.fallback, []);
});

test('cost limits: a runaway comprehension stops with the same error at the same cost', () => {
  const c = compiled('[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(x, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(y, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(z, x + y + z > 0)))');
  assert.ok(c && closed(c));
  for (const limit of [10, 100, 500, 1000, 5000, 100_000]) assert.equal(compare(c, {}, limit), undefined, `limit ${limit}`);
  const v = meteredVars({}, new CostMeter(500));
  const out = observe(c.program, v);
  assert.equal(out.ok, false);
  assert.match(out.ok ? '' : out.error, /actual cost limit exceeded/);
});

test('the closures are what runs: a different answer from them would be seen', () => {
  const c = compiled("object.metadata.name == 'web'");
  assert.ok(c && closed(c));
  const vars = { object: { metadata: { name: 'web' } } };
  assert.equal(c.program(vars), true);
  assert.equal(c.program({ object: { metadata: { name: 'db' } } }), false);
  // Non-object activations go to cel-js, which reports them as it always did.
  assert.throws(() => c.program(null as unknown as Vars), /Unknown variable: object/);
  assert.equal(c.program(new Map([['object', { metadata: { name: 'web' } }]]) as unknown as Vars), true);
});

test('a program keeps nothing of an evaluation once it returns (its reused frame is emptied), also after an error', () => {
  class Activation {
    object = { spec: { containers: [{ image: 'a' }, { image: 'b' }] } };
  }
  const c = compiled("object.spec.containers.all(c, c.image.startsWith('a'))");
  assert.ok(c && closed(c));
  assert.equal(c.program(new Activation() as unknown as Vars), false);
  assert.throws(() => c.program(Object.assign(new Activation(), { object: { spec: { containers: [{ image: 1n }] } } }) as unknown as Vars));
  assert.equal(queryObjects(Activation, { format: 'count' }), 0);
  // And the frame is right for the next evaluation.
  assert.equal(c.program({ object: { spec: { containers: [{ image: 'a1' }] } } }), true);
});

test('operators on dyn lists and maps: an overload remembered for one element type is not used for another', () => {
  const lists: [unknown, unknown][] = [[[1n], [2n]], [[1n], ['x']], [['x'], [1n]], [[], ['x']], [['x'], []], [[1.5], [2n]], [[null], [null]], [['a'], ['b']]];
  const maps: [unknown, unknown][] = [[{ k: 1n }, { k: 2n }], [{ k: 1n }, { k: 'x' }], [{}, { k: 'x' }], [{ k: 'x' }, {}], [{ k: 'x' }, { k: 'x' }], [{ k: true }, { k: 1.5 }], [{ k: null }, { k: null }]];
  const pairs = [...lists, ...maps, ...lists.map(([a, b]) => [b, a] as [unknown, unknown]), ...maps.map(([a, b]) => [b, a] as [unknown, unknown])];
  for (const e of ['object.a + object.b', 'object.a == object.b', 'object.a != object.b', "'k' in object.a", '1n in object.b', 'object.a[0] in object.b', 'object.a < object.b']) {
    const c = compiled(e.replace('1n', '1'));
    if (!c) continue;
    assert.ok(closed(c), e);
    for (const [a, b] of pairs) assert.equal(compare(c, { object: { a, b } }), undefined, `${e} on ${JSON.stringify([a, b], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  }
});
