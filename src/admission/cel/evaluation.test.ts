import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drive, type Outcome, type Runner } from './evaluation.ts';
import type { PolicyExpression } from './policy-env.ts';

const expr = (name: string) => ({ expression: name }) as PolicyExpression;
const E = ['a', 'b', 'c', 'd', 'e'].map(expr);

/** An evaluation whose outcomes for the named expressions arrive later (as the authorizer's do). */
function fakeEvaluation(later: Set<string>, sync = false) {
  const evaluated: string[] = [];
  const ev = {
    sync,
    evaluated,
    eval(e: PolicyExpression): Outcome | Promise<Outcome> {
      evaluated.push(e.expression);
      const out: Outcome = { ok: true, value: e.expression !== 'b' };
      return later.has(e.expression) ? new Promise((resolve) => setImmediate(() => resolve(out))) : out;
    },
    run(e: PolicyExpression): Outcome {
      const r = ev.eval(e);
      if (r instanceof Promise) throw new Error('not at hand');
      return r;
    },
  };
  return ev;
}

const value = (o: Outcome): unknown => (o.ok ? o.value : o.error);

// Steps whose path depends on the outcomes: b is false, so c is skipped and e evaluated instead.
const steps = (prefix: string, r: Runner): string[] => {
  const [a, b, c, d, e] = E as [PolicyExpression, PolicyExpression, PolicyExpression, PolicyExpression, PolicyExpression];
  const seen = [`${prefix}a=${String(value(r.run(a)))}`, `b=${String(value(r.run(b)))}`];
  const third = value(r.run(b)) ? c : e;
  seen.push(`${third.expression}=${String(value(r.run(third)))}`, `d=${String(value(r.run(d)))}`);
  return seen;
};

test('drive: synchronous while every outcome is at hand', () => {
  for (const sync of [false, true]) {
    const ev = fakeEvaluation(new Set(), sync);
    const r = drive(steps, '', ev);
    assert.ok(!(r instanceof Promise));
    assert.deepEqual(r, ['a=true', 'b=false', 'e=true', 'd=true']);
    assert.deepEqual(ev.evaluated, ['a', 'b', 'b', 'e', 'd']);
  }
});

test('drive: a synchronous evaluation runs the steps with itself (no log)', () => {
  const ev = fakeEvaluation(new Set(), true);
  let runner: Runner | undefined;
  drive((_: undefined, r: Runner) => (runner = r), undefined, ev);
  assert.equal(runner, ev);
  const other = fakeEvaluation(new Set(), false);
  drive((_: undefined, r: Runner) => (runner = r), undefined, other);
  assert.notEqual(runner, other);
});

test('drive: outcomes that arrive later give the same result, each expression evaluated once, in order', async () => {
  for (const later of [['a'], ['b'], ['e', 'd'], ['a', 'b', 'e', 'd']]) {
    const ev = fakeEvaluation(new Set(later));
    const r = drive(steps, '>', ev);
    assert.ok(r instanceof Promise, later.join());
    assert.deepEqual(await r, ['>a=true', 'b=false', 'e=true', 'd=true'], later.join());
    assert.deepEqual(ev.evaluated, ['a', 'b', 'b', 'e', 'd'], later.join());
  }
});

test('drive: an error thrown by the steps or the evaluation is not swallowed, before or after a pending outcome', async () => {
  const boom = new Error('out of budget');
  const failing = (_: undefined, r: Runner) => {
    r.run(E[0]!);
    throw boom;
  };
  assert.throws(() => drive(failing, undefined, fakeEvaluation(new Set())), boom);
  await assert.rejects(Promise.resolve(drive(failing, undefined, fakeEvaluation(new Set(['a'])))), boom);
});
