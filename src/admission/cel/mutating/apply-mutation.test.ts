import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from '../../../api/schema/schema.ts';
import { applyConfiguration, applyJsonPatchMutation } from './apply-mutation.ts';
import { compileMutationExpression } from './mutation-env.ts';

const schema = loadSchema();
const DEPLOYMENT = schema.typeNameForKind({ group: 'apps', version: 'v1', kind: 'Deployment' });

function run(expr: string, patchType: 'ApplyConfiguration' | 'JSONPatch', object: Record<string, unknown>): unknown {
  const c = compileMutationExpression(expr, patchType);
  assert.equal(c.error, undefined);
  return c.program!({ object, oldObject: null, request: {}, params: null, namespaceObject: null, variables: {} });
}

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', labels: { a: '1' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:1' }] } } },
});

test('ApplyConfiguration merges by structured-merge rules: maps by key, containers by name', () => {
  const obj = deployment();
  const v = run("Object{metadata: Object.metadata{labels: {'b': '2'}}, spec: Object.spec{replicas: 3, template: Object.spec.template{spec: Object.spec.template.spec{containers: [Object.spec.template.spec.containers{name: 'side', image: 'side:2'}]}}}}", 'ApplyConfiguration', obj);
  const r = applyConfiguration(schema, DEPLOYMENT, obj, v);
  assert.ok(r.ok);
  assert.deepEqual(r.object.metadata.labels, { a: '1', b: '2' });
  assert.equal(r.object.spec.replicas, 3);
  assert.deepEqual(r.object.spec.template.spec.containers, [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:2' }]);
});

test('ApplyConfiguration refuses type names off the field path, atomic lists and non-Object results', () => {
  const obj = deployment();
  const wrong = applyConfiguration(schema, DEPLOYMENT, obj, run('Object{spec: Object.metadata{replicas: 2}}', 'ApplyConfiguration', obj));
  assert.deepEqual(wrong, { ok: false, error: 'type mismatch: unexpected type name "Object.metadata", expected "Object.spec", which matches field name path from root Object type' });
  const atomic = applyConfiguration(schema, DEPLOYMENT, obj, run("Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{containers: [Object.spec.template.spec.containers{name: 'app', args: ['x']}]}}}}", 'ApplyConfiguration', obj));
  assert.deepEqual(atomic, { ok: false, error: 'error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.template.spec.containers[0].args' });
  const typed = applyConfiguration(schema, DEPLOYMENT, obj, run("Object{spec: Object.spec{replicas: 'three'}}", 'ApplyConfiguration', obj));
  assert.equal(typed.ok, false);
  assert.match((typed as { error: string }).error, /^error applying patch: failed to convert patch object to typed object: \.spec\.replicas: expected numeric/);
  assert.equal(compileMutationExpression("'x'", 'ApplyConfiguration').error, 'must evaluate to Object but got string');
  assert.equal(compileMutationExpression("JSONPatch{op: 'add'}", 'ApplyConfiguration').error, 'must evaluate to Object but got JSONPatch');
  assert.equal(compileMutationExpression('true', 'JSONPatch').error, 'must evaluate to list(JSONPatch) but got bool');
});

test('JSONPatch applies in order; escapeKey; a failed test leaves the object unchanged; errors', () => {
  const obj = deployment();
  const v = run("[JSONPatch{op: 'add', path: '/metadata/labels/' + jsonpatch.escapeKey('x/y'), value: 'z'}, JSONPatch{op: 'replace', path: '/spec/replicas', value: object.spec.replicas + 1}]", 'JSONPatch', { ...obj, spec: { ...obj.spec, replicas: 1n } });
  const r = applyJsonPatchMutation(obj, v);
  assert.ok(r.ok);
  assert.deepEqual(r.object.metadata.labels, { a: '1', 'x/y': 'z' });
  assert.equal(r.object.spec.replicas, 2);
  const tested = applyJsonPatchMutation(obj, run("[JSONPatch{op: 'test', path: '/spec/replicas', value: 9}, JSONPatch{op: 'remove', path: '/metadata/labels'}]", 'JSONPatch', obj));
  assert.ok(tested.ok && tested.object === obj);
  const bad = applyJsonPatchMutation(obj, run("[JSONPatch{op: 'remove', path: '/nope/x'}]", 'JSONPatch', obj));
  assert.equal(bad.ok, false);
  assert.match((bad as { error: string }).error, /^JSON Patch: /);
  assert.match(compileMutationExpression("[JSONPatch{op: 'add', bogus: 1}]", 'JSONPatch').error ?? 'compiles', /compiles/);
  assert.throws(() => run("[JSONPatch{op: 'add', bogus: 1}]", 'JSONPatch', obj), /no such field 'bogus' in type 'JSONPatch'/);
  assert.match(compileMutationExpression('Foo{a: 1}', 'JSONPatch').error!, /undeclared reference to 'Foo'/);
});
