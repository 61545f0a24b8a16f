import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { compilePolicy } from './compile-policy.ts';
import { validatePolicy } from './evaluate.ts';
import { RequestMemo } from './request-memo.ts';

const policy = (name: string, spec: Record<string, unknown>) => compilePolicy({ metadata: { name, generation: 1 }, spec } as ValidatingAdmissionPolicy);
const vars = (object: unknown, params: unknown = null) => ({ object, oldObject: null, request: {}, params, namespaceObject: null });
const items = Array.from({ length: 300 }, (_, i) => BigInt(i));
// Costs about 90,000 per evaluation (300 x 300 iterations).
const SPEND = 'object.l.all(a, object.l.all(b, true))';

test('a request-only expression is evaluated once per request and kept for the other policies', async () => {
  const memo = new RequestMemo();
  const spec = { variables: [{ name: 'n', expression: 'size(object.l)' }], validations: [{ expression: 'variables.n == 300' }, { expression: SPEND }] };
  const a = policy('a', spec);
  const b = policy('b', spec);
  const first = await validatePolicy(a, vars({ l: items }), undefined, memo);
  assert.deepEqual(first.decisions.map((d) => d.action), ['admit', 'admit']);
  // Kept: the variable and the validation that read the object only, not the one reading variables.
  assert.ok(memo.get(a.variables.get('n')!));
  assert.ok(memo.get(b.validations[1]!.condition));
  assert.equal(memo.get(b.validations[0]!.condition), undefined);
  assert.deepEqual(await validatePolicy(b, vars({ l: items }), undefined, memo), first);
});

test('a kept outcome still costs each policy its evaluation: budgets end as without the memo', async () => {
  const memo = new RequestMemo();
  const spec = { validations: [{ expression: SPEND }, { expression: SPEND }, { expression: SPEND }] };
  const outOfBudget = [{ action: 'deny', evaluation: 'error', message: 'validation failed due to running out of cost budget, no further validation rules will be run' }];
  assert.deepEqual((await validatePolicy(policy('rich', spec), vars({ l: items }), undefined, memo)).decisions.map((d) => d.action), ['admit', 'admit', 'admit']);
  assert.deepEqual((await validatePolicy(policy('poor', spec), vars({ l: items }), 250_000, memo)).decisions, outOfBudget);
  assert.deepEqual((await validatePolicy(policy('poor', spec), vars({ l: items }), 250_000)).decisions, outOfBudget);
});

test('a policy that runs out of budget leaves nothing that fails a policy with more budget left', async () => {
  const memo = new RequestMemo();
  const spec = { validations: [{ expression: SPEND }] };
  const poor = await validatePolicy(policy('poor', spec), vars({ l: items }), 50_000, memo);
  assert.equal(poor.decisions[0]!.evaluation, 'error');
  const rich = await validatePolicy(policy('rich', spec), vars({ l: items }), undefined, memo);
  assert.deepEqual(rich.decisions, [{ action: 'admit', evaluation: 'admit' }]);
});

test('expressions reading params are evaluated per policy; errors are kept with their expression', async () => {
  const memo = new RequestMemo();
  const spec = { validations: [{ expression: 'params.x == 1' }, { expression: 'object.nope == 1' }] };
  const one = await validatePolicy(policy('a', spec), vars({}, { x: 1n }), undefined, memo);
  const two = await validatePolicy(policy('b', spec), vars({}, { x: 2n }), undefined, memo);
  assert.deepEqual([one.decisions[0]!.action, two.decisions[0]!.action], ['admit', 'deny']);
  assert.deepEqual(two.decisions[1], one.decisions[1]);
  assert.match(two.decisions[1]!.message!, /^expression 'object.nope == 1' resulted in error: no such key: nope$/);
});

test('an expression no other policy has compiled is not kept (nothing to share it with)', async () => {
  const memo = new RequestMemo();
  const once = policy('once', { validations: [{ expression: "object.onlyInThisTest == 'x'" }] });
  await validatePolicy(once, vars({ onlyInThisTest: 'x' }), undefined, memo);
  assert.equal(memo.get(once.validations[0]!.condition), undefined);
  const twice = policy('twice', { validations: [{ expression: "object.onlyInThisTest == 'x'" }] });
  await validatePolicy(twice, vars({ onlyInThisTest: 'x' }), undefined, memo);
  assert.ok(memo.get(twice.validations[0]!.condition));
});
