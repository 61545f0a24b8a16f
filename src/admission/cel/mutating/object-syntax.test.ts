import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteObjectConstruction } from './object-syntax.ts';

test('message construction becomes __new calls with quoted field names', () => {
  const r = rewriteObjectConstruction('Object{spec: Object.spec{replicas: 3, selector: {"a": b ? c : d}}}');
  assert.equal(r.text, '__new("Object", {"spec": __new("Object.spec", {"replicas": 3, "selector": {"a": b ? c : d}})})');
  assert.deepEqual(r.types, ['Object', 'Object.spec']);
});

test('lists of JSONPatch, white space and comments between the parts of a name', () => {
  const r = rewriteObjectConstruction('[JSONPatch{op: "add", path: "/x", value: [1, 2]}, JSONPatch {\n op: \'remove\', // gone\n path: "/y"}]');
  assert.equal(r.text, '[__new("JSONPatch", {"op": "add", "path": "/x", "value": [1, 2]}), __new("JSONPatch", {\n "op": \'remove\', // gone\n "path": "/y"})]');
});

test('strings, member selects and map literals are left alone', () => {
  for (const e of ["'Object{a: 1}' + x", 'object.spec.x == {"k": 1}', 'r"a{b}" == """c{d}"""', 'has(object.metadata) ? {"a": 1} : {}']) {
    assert.equal(rewriteObjectConstruction(e).text, e);
  }
  // A selection on a variable followed by a construction is still a select first.
  assert.equal(rewriteObjectConstruction('object.a == Object.spec{x: 1}').text, 'object.a == __new("Object.spec", {"x": 1})');
});
