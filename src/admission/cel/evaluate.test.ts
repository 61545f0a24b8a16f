import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryObjects } from 'node:v8';
import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { compilePolicy } from './compile-policy.ts';
import { validatePolicy } from './evaluate.ts';

const policy = (spec: Record<string, unknown>) => compilePolicy({ metadata: { name: 'p', generation: 1 }, spec } as ValidatingAdmissionPolicy);
const vars = (object: unknown) => ({ object, oldObject: null, request: {}, params: null, namespaceObject: null });
const run = async (spec: Record<string, unknown>, object: unknown, budget?: number) => await validatePolicy(policy(spec), vars(object), budget);

test('message: messageExpression, else message, else the expression; multi-line messageExpression falls back', async () => {
  const r = await run(
    {
      validations: [
        { expression: 'false', messageExpression: "'from expression'" , message: 'static' },
        { expression: 'false', message: ' static ' },
        { expression: ' object.x == 1 ' },
        { expression: 'false', messageExpression: "'two\\nlines'", message: 'fallback' },
        { expression: 'false', messageExpression: "''" },
      ],
    },
    { x: 2n },
  );
  assert.deepEqual(r.decisions.map((d) => d.message), ['from expression', 'static', 'failed expression: object.x == 1', 'fallback', 'failed expression: false']);
  assert.deepEqual(r.decisions.map((d) => d.reason), ['Invalid', 'Invalid', 'Invalid', 'Invalid', 'Invalid']);
});

test('a variable that fails is an error only where it is read; variables are computed once', async () => {
  const r = await run(
    {
      variables: [
        { name: 'bad', expression: 'object.missing.deeper' },
        { name: 'good', expression: 'object.x + 1' },
      ],
      validations: [{ expression: 'variables.good == 3' }, { expression: 'variables.bad == 1' }, { expression: 'true || variables.bad == 1' }],
    },
    { x: 2n },
  );
  assert.equal(r.decisions[0]!.action, 'admit');
  assert.equal(r.decisions[1]!.evaluation, 'error');
  assert.match(r.decisions[1]!.message!, /^expression 'variables.bad == 1' resulted in error: /);
  assert.equal(r.decisions[2]!.action, 'admit');
});

test('errors follow failurePolicy; a compile error is "compilation error: ..."', async () => {
  const fail = await run({ validations: [{ expression: 'object.x ==' }] }, {});
  assert.equal(fail.decisions[0]!.action, 'deny');
  assert.match(fail.decisions[0]!.message!, /^compilation error: compilation failed: /);
  const ignore = await run({ failurePolicy: 'Ignore', validations: [{ expression: "'not bool'" }] }, {});
  assert.deepEqual(ignore.decisions[0], { action: 'admit', evaluation: 'error', message: 'compilation error: must evaluate to bool but got string' });
});

test('the request budget: once spent, no further validation runs', async () => {
  const items = Array.from({ length: 300 }, (_, i) => BigInt(i));
  const spend = { expression: 'object.l.all(a, object.l.all(b, true))' };
  const r = await run({ validations: [spend, spend, spend] }, { l: items }, 250_000);
  assert.deepEqual(r.decisions, [{ action: 'deny', evaluation: 'error', message: 'validation failed due to running out of cost budget, no further validation rules will be run' }]);
});

test('matchConditions: false skips, an error under Fail is a denial', async () => {
  assert.deepEqual(await run({ matchConditions: [{ name: 'm', expression: 'false' }], validations: [{ expression: 'false' }] }, {}), { decisions: [], auditAnnotations: [] });
  const r = await run({ matchConditions: [{ name: 'm', expression: 'object.nope' }], validations: [{ expression: 'false' }] }, {});
  assert.match(r.decisions[0]!.message!, /^expression 'object.nope' resulted in error: no such key: nope$/);
});

test('audit annotations: strings published trimmed, empty excluded, other types an error', async () => {
  const r = await run(
    { validations: [{ expression: 'true' }], auditAnnotations: [{ key: 'a', valueExpression: "' v '" }, { key: 'b', valueExpression: "''" }, { key: 'c', valueExpression: '1' }] },
    {},
  );
  assert.deepEqual(r.auditAnnotations, [
    { key: 'a', action: 'publish', value: 'v' },
    { key: 'b', action: 'exclude' },
    { key: 'c', action: 'error', error: "valueExpression '1' resulted in unsupported return type: int. Return type must be either string or null." },
  ]);
});

test('decisions keep their order around admits; a policy whose validations all hold gets one shared, read-only result', async () => {
  const mixed = await run({ validations: [{ expression: 'true' }, { expression: 'object.x == 1' }, { expression: 'true' }, { expression: "'x'" }] }, { x: 2n });
  assert.deepEqual(mixed.decisions.map((d) => `${d.action}/${d.evaluation}`), ['admit/admit', 'deny/deny', 'admit/admit', 'deny/error']);
  const p = policy({ validations: [{ expression: 'true' }, { expression: 'object.x == 2' }] });
  const one = await validatePolicy(p, vars({ x: 2n }));
  assert.deepEqual(one, { decisions: [{ action: 'admit', evaluation: 'admit' }, { action: 'admit', evaluation: 'admit' }], auditAnnotations: [] });
  assert.equal(await validatePolicy(p, vars({ x: 2n })), one);
  assert.ok(Object.isFrozen(one) && Object.isFrozen(one.decisions) && Object.isFrozen(one.decisions[0]));
  // With audit annotations the decisions may be shared, the result is the policy's own.
  const audited = await run({ validations: [{ expression: 'true' }], auditAnnotations: [{ key: 'a', valueExpression: "'v'" }] }, {});
  assert.deepEqual(audited, { decisions: [{ action: 'admit', evaluation: 'admit' }], auditAnnotations: [{ key: 'a', action: 'publish', value: 'v' }] });
});

test('policies evaluated on one set of variables (one request) see only their own variables', async () => {
  const shared = vars({ x: 2n });
  const a = policy({ variables: [{ name: 'v', expression: 'object.x' }], validations: [{ expression: 'variables.v == 2' }] });
  const b = policy({ variables: [{ name: 'w', expression: 'object.x' }], validations: [{ expression: "!('v' in variables)" }, { expression: 'variables.w == 2' }, { expression: "!('v' in variables)" }] });
  const none = policy({ validations: [{ expression: 'variables == {}' }] });
  for (const p of [a, b, none, a, none]) assert.deepEqual((await validatePolicy(p, shared)).decisions.map((d) => d.action), p.validations.map(() => 'admit'));
});

test('a finished evaluation keeps nothing of its request; the next policy starts with a full budget and no variables', async () => {
  class Activation {
    object = { x: 2n };
    oldObject = null;
    request = {};
    params = null;
    namespaceObject = null;
  }
  const p = policy({ variables: [{ name: 'v', expression: 'object.x' }], validations: [{ expression: 'variables.v == 2' }] });
  assert.equal((await validatePolicy(p, new Activation() as unknown as Record<string, unknown>)).decisions[0]!.action, 'admit');
  assert.equal(queryObjects(Activation, { format: 'count' }), 0);
  const items = Array.from({ length: 300 }, (_, i) => BigInt(i));
  const spend = policy({ validations: [{ expression: 'object.l.all(a, object.l.all(b, true))' }, { expression: 'true' }] });
  assert.equal((await validatePolicy(spend, vars({ l: items }), 100_000)).decisions[0]!.evaluation, 'error');
  assert.deepEqual((await validatePolicy(spend, vars({ l: items }))).decisions.map((d) => d.action), ['admit', 'admit']);
  assert.deepEqual((await validatePolicy(policy({ validations: [{ expression: 'variables == {}' }] }), vars({}))).decisions.map((d) => d.action), ['admit']);
});
