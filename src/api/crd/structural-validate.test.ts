import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../validation/field-errors.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { validateAgainstSchema } from './structural-validate.ts';

const spec = (props: Record<string, JSONSchemaProps>, extra: JSONSchemaProps = {}): JSONSchemaProps => ({
  type: 'object',
  properties: { spec: { type: 'object', properties: props, ...extra } },
});

interface Case {
  name: string;
  schema: JSONSchemaProps;
  obj: unknown;
  want: string[];
}

const cases: Case[] = [
  // type
  { name: 'integer ok', schema: spec({ replicas: { type: 'integer' } }), obj: { spec: { replicas: 3 } }, want: [] },
  {
    name: 'integer given string',
    schema: spec({ replicas: { type: 'integer' } }),
    obj: { spec: { replicas: 'x' } },
    want: ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'],
  },
  {
    name: 'integer given fraction',
    schema: spec({ replicas: { type: 'integer' } }),
    obj: { spec: { replicas: 1.5 } },
    want: ['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"'],
  },
  { name: 'number accepts integer', schema: spec({ r: { type: 'number' } }), obj: { spec: { r: 2 } }, want: [] },
  {
    name: 'string given bool',
    schema: spec({ s: { type: 'string' } }),
    obj: { spec: { s: true } },
    want: ['spec.s: Invalid value: "boolean": spec.s in body must be of type string: "boolean"'],
  },
  {
    name: 'boolean given object',
    schema: spec({ b: { type: 'boolean' } }),
    obj: { spec: { b: {} } },
    want: ['spec.b: Invalid value: "object": spec.b in body must be of type boolean: "object"'],
  },
  {
    name: 'array given string',
    schema: spec({ a: { type: 'array', items: { type: 'string' } } }),
    obj: { spec: { a: 'x' } },
    want: ['spec.a: Invalid value: "string": spec.a in body must be of type array: "string"'],
  },
  {
    name: 'object given array',
    schema: spec({ o: { type: 'object' } }),
    obj: { spec: { o: [] } },
    want: ['spec.o: Invalid value: "array": spec.o in body must be of type object: "array"'],
  },
  // nullable
  {
    name: 'null not nullable',
    schema: spec({ s: { type: 'string' } }),
    obj: { spec: { s: null } },
    want: ['spec.s: Invalid value: "null": spec.s in body must be of type string: "null"'],
  },
  { name: 'null nullable', schema: spec({ s: { type: 'string', nullable: true } }), obj: { spec: { s: null } }, want: [] },
  // required
  {
    name: 'required missing',
    schema: spec({ name: { type: 'string' } }, { required: ['name'] }),
    obj: { spec: {} },
    want: ['spec.name: Required value'],
  },
  { name: 'root required', schema: { type: 'object', required: ['spec'], properties: { spec: { type: 'object' } } }, obj: {}, want: ['spec: Required value'] },
  // additionalProperties
  {
    name: 'additionalProperties schema',
    schema: spec({ labels: { type: 'object', additionalProperties: { type: 'string' } } }),
    obj: { spec: { labels: { a: 'x', b: 2 } } },
    want: ['spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer"'],
  },
  {
    name: 'additionalProperties false',
    schema: spec({ o: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } }),
    obj: { spec: { o: { a: 'x', z: 1 } } },
    want: ['spec.o: Invalid value: "z": spec.o.z in body is a forbidden property'],
  },
  // items
  {
    name: 'items nested path',
    schema: spec({ items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } }),
    obj: { spec: { items: [{ name: 'a' }, { name: 1 }, {}] } },
    want: [
      'spec.items[1].name: Invalid value: "integer": spec.items[1].name in body must be of type string: "integer"',
      'spec.items[2].name: Required value',
    ],
  },
  // enum
  {
    name: 'enum',
    schema: spec({ color: { type: 'string', enum: ['red', 'blue'] } }),
    obj: { spec: { color: 'pink' } },
    want: ['spec.color: Unsupported value: "pink": supported values: "red", "blue"'],
  },
  {
    name: 'enum non-string values',
    schema: spec({ n: { type: 'integer', enum: [1, 2] } }),
    obj: { spec: { n: 3 } },
    want: ['spec.n: Unsupported value: 3: supported values: "1", "2"'],
  },
  { name: 'enum ok', schema: spec({ n: { type: 'integer', enum: [1, 2] } }), obj: { spec: { n: 2 } }, want: [] },
  // numbers
  {
    name: 'maximum',
    schema: spec({ size: { type: 'integer', maximum: 10 } }),
    obj: { spec: { size: 11 } },
    want: ['spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10'],
  },
  {
    name: 'exclusiveMaximum',
    schema: spec({ size: { type: 'integer', maximum: 10, exclusiveMaximum: true } }),
    obj: { spec: { size: 10 } },
    want: ['spec.size: Invalid value: 10: spec.size in body should be less than 10'],
  },
  {
    name: 'minimum',
    schema: spec({ size: { type: 'integer', minimum: 1 } }),
    obj: { spec: { size: 0 } },
    want: ['spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1'],
  },
  {
    name: 'exclusiveMinimum float',
    schema: spec({ f: { type: 'number', minimum: 0.5, exclusiveMinimum: true } }),
    obj: { spec: { f: 0.5 } },
    want: ['spec.f: Invalid value: 0.5: spec.f in body should be greater than 0.5'],
  },
  {
    name: 'float limit printed as Go %v',
    schema: spec({ f: { type: 'number', maximum: 1000000 } }),
    obj: { spec: { f: 1000000.5 } },
    want: ['spec.f: Invalid value: 1000000.5: spec.f in body should be less than or equal to 1e+06'],
  },
  {
    name: 'multipleOf',
    schema: spec({ m: { type: 'integer', multipleOf: 3 } }),
    obj: { spec: { m: 7 } },
    want: ['spec.m: Invalid value: 7: spec.m in body should be a multiple of 3'],
  },
  { name: 'multipleOf float ok', schema: spec({ m: { type: 'number', multipleOf: 0.1 } }), obj: { spec: { m: 0.3 } }, want: [] },
  // strings
  {
    name: 'maxLength',
    schema: spec({ s: { type: 'string', maxLength: 5 } }),
    obj: { spec: { s: 'abcdef' } },
    want: ['spec.s: Too long: may not be more than 5 bytes'],
  },
  { name: 'maxLength counts runes', schema: spec({ s: { type: 'string', maxLength: 2 } }), obj: { spec: { s: 'éé' } }, want: [] },
  {
    name: 'minLength',
    schema: spec({ s: { type: 'string', minLength: 2 } }),
    obj: { spec: { s: 'a' } },
    want: ['spec.s: Invalid value: "a": spec.s in body should be at least 2 chars long'],
  },
  {
    name: 'pattern',
    schema: spec({ x: { type: 'string', pattern: '^a' } }),
    obj: { spec: { x: 'ba' } },
    want: [`spec.x: Invalid value: "ba": spec.x in body should match '^a'`],
  },
  // formats
  {
    name: 'date-time',
    schema: spec({ t: { type: 'string', format: 'date-time' } }),
    obj: { spec: { t: 'yesterday' } },
    want: ['spec.t: Invalid value: "yesterday": spec.t in body must be of type date-time: "yesterday"'],
  },
  { name: 'date-time ok', schema: spec({ t: { type: 'string', format: 'date-time' } }), obj: { spec: { t: '2024-02-29T10:00:00Z' } }, want: [] },
  {
    name: 'byte',
    schema: spec({ b: { type: 'string', format: 'byte' } }),
    obj: { spec: { b: 'not base64!' } },
    want: ['spec.b: Invalid value: "not base64!": spec.b in body must be of type byte: "not base64!"'],
  },
  { name: 'unknown format ignored', schema: spec({ u: { type: 'string', format: 'banana' } }), obj: { spec: { u: 'x' } }, want: [] },
  { name: 'int32 accepts integer', schema: spec({ i: { type: 'integer', format: 'int32' } }), obj: { spec: { i: 5 } }, want: [] },
  {
    name: 'int64 given fraction',
    schema: spec({ i: { type: 'integer', format: 'int64' } }),
    obj: { spec: { i: 1.5 } },
    want: ['spec.i: Invalid value: "float64": spec.i in body must be of type int64: "float64"'],
  },
  // arrays
  {
    name: 'minItems',
    schema: spec({ a: { type: 'array', items: { type: 'string' }, minItems: 2 } }),
    obj: { spec: { a: ['x'] } },
    want: ['spec.a: Invalid value: 1: spec.a in body should have at least 2 items'],
  },
  {
    name: 'maxItems',
    schema: spec({ a: { type: 'array', items: { type: 'string' }, maxItems: 1 } }),
    obj: { spec: { a: ['x', 'y'] } },
    want: ['spec.a: Too many: 2: must have at most 1 items'],
  },
  {
    name: 'uniqueItems',
    schema: spec({ a: { type: 'array', items: { type: 'object' }, uniqueItems: true } }),
    obj: { spec: { a: [{ k: 1 }, { k: 1 }] } },
    want: [`spec.a: Invalid value: "": spec.a in body shouldn't contain duplicates`],
  },
  // properties count
  {
    name: 'minProperties',
    schema: spec({ o: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 2 } }),
    obj: { spec: { o: { a: 'x' } } },
    want: ['spec.o: Invalid value: 1: spec.o in body should have at least 2 properties'],
  },
  {
    name: 'maxProperties stops the object',
    schema: spec({ o: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 } }),
    obj: { spec: { o: { a: 'x', b: 1 } } },
    want: ['spec.o: Too many: 2: must have at most 1 items'],
  },
  // int-or-string
  { name: 'int-or-string int', schema: spec({ p: { 'x-kubernetes-int-or-string': true } }), obj: { spec: { p: 80 } }, want: [] },
  { name: 'int-or-string string', schema: spec({ p: { 'x-kubernetes-int-or-string': true } }), obj: { spec: { p: '50%' } }, want: [] },
  {
    name: 'int-or-string bool',
    schema: spec({ p: { 'x-kubernetes-int-or-string': true } }),
    obj: { spec: { p: true } },
    want: ['spec.p: Invalid value: "boolean": spec.p in body must be of type integer,string: "boolean"'],
  },
  // preserve-unknown-fields has no say in validation
  { name: 'preserve unknown', schema: spec({}, { 'x-kubernetes-preserve-unknown-fields': true }), obj: { spec: { anything: [1] } }, want: [] },
  // combinators
  {
    name: 'anyOf none',
    schema: spec({ v: { type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 1 }] } }),
    obj: { spec: { v: 5 } },
    want: [
      '<nil>: Invalid value: "": "spec.v" must validate at least one schema (anyOf)',
      'spec.v: Invalid value: 5: spec.v in body should be greater than or equal to 10',
    ],
  },
  { name: 'anyOf one', schema: spec({ v: { type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 1 }] } }), obj: { spec: { v: 0 } }, want: [] },
  {
    name: 'oneOf two valid',
    schema: spec({ v: { type: 'integer', oneOf: [{ minimum: 1 }, { maximum: 10 }] } }),
    obj: { spec: { v: 5 } },
    want: ['<nil>: Invalid value: "": "spec.v" must validate one and only one schema (oneOf). Found 2 valid alternatives'],
  },
  {
    name: 'oneOf required branches',
    schema: spec({ a: { type: 'string' }, b: { type: 'string' } }, { oneOf: [{ required: ['a'] }, { required: ['b'] }] }),
    obj: { spec: { a: 'x' } },
    want: [],
  },
  {
    name: 'allOf',
    schema: spec({ v: { type: 'integer', allOf: [{ minimum: 1 }, { maximum: 3 }] } }),
    obj: { spec: { v: 5 } },
    want: [
      'spec.v: Invalid value: 5: spec.v in body should be less than or equal to 3',
      '<nil>: Invalid value: "": "spec.v" must validate all the schemas (allOf)',
    ],
  },
  {
    name: 'not',
    schema: spec({ v: { type: 'string', not: { enum: ['forbidden'] } } }),
    obj: { spec: { v: 'forbidden' } },
    want: ['<nil>: Invalid value: "": "spec.v" must not validate the schema (not)'],
  },
  // list types
  {
    name: 'list-type set duplicate',
    schema: spec({ s: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' } }),
    obj: { spec: { s: ['a', 'b', 'a', 'a'] } },
    want: ['spec.s[2]: Duplicate value: "a"'],
  },
  {
    name: 'list-type map duplicate key',
    schema: spec({
      m: {
        type: 'array',
        items: { type: 'object', properties: { name: { type: 'string' }, v: { type: 'integer' } } },
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
    }),
    obj: { spec: { m: [{ name: 'a', v: 1 }, { name: 'b' }, { name: 'a', v: 2 }] } },
    want: ['spec.m[2]: Duplicate value: map[string]interface {}{"name":"a"}'],
  },
  {
    name: 'list-type map multiple keys',
    schema: spec({
      m: {
        type: 'array',
        items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string' } } },
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['port', 'protocol'],
      },
    }),
    obj: { spec: { m: [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }, { port: 80, protocol: 'TCP' }] } },
    want: ['spec.m[2]: Duplicate value: map[string]interface {}{"port":80, "protocol":"TCP"}'],
  },
  // embedded resources
  {
    name: 'embedded resource requires apiVersion and kind',
    schema: spec({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } }),
    obj: { spec: { template: { metadata: {} } } },
    want: ['spec.template.apiVersion: Required value', 'spec.template.kind: Required value'],
  },
  {
    name: 'embedded resource kind format',
    schema: spec({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } }),
    obj: { spec: { template: { apiVersion: 'a/b/c', kind: 'Foo_Bar' } } },
    want: [
      'spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      `spec.template.kind: Invalid value: "Foo_Bar": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ],
  },
];

for (const c of cases) {
  test(`validateAgainstSchema: ${c.name}`, () => {
    assert.deepEqual(validateAgainstSchema(c.schema, c.obj).map(errorString), c.want);
  });
}

test('validateAgainstSchema: nesting beyond the depth bound is an error, not a stack overflow', () => {
  let schema: JSONSchemaProps = { type: 'string' };
  let obj: unknown = 'x';
  for (let i = 0; i < 150; i++) {
    schema = { type: 'object', properties: { a: schema } };
    obj = { a: obj };
  }
  const errs = validateAgainstSchema(schema, obj);
  assert.equal(errs.length, 1);
  assert.match(errs[0]?.detail ?? '', /maximum depth of 100/);
});

test('validateAgainstSchema: error types match upstream causes', () => {
  const errs = validateAgainstSchema(spec({ n: { type: 'string' } }, { required: ['r'] }), { spec: { n: 1 } });
  assert.deepEqual(
    errs.map((e) => [e.type, e.field]),
    [
      ['FieldValueInvalid', 'spec.n'],
      ['FieldValueRequired', 'spec.r'],
    ],
  );
});
