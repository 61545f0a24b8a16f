import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { applySchemaDefaults } from './defaults.ts';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      default: {},
      properties: {
        replicas: { type: 'integer', default: 1 },
        mode: { type: 'string', default: 'fast' },
        opt: { type: 'string' },
        maybe: { type: 'string', nullable: true },
        nested: { type: 'object', default: { inner: {} }, properties: { inner: { type: 'object', properties: { x: { type: 'integer', default: 7 } } } } },
        ports: {
          type: 'array',
          items: { type: 'object', default: { port: 80 }, properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } } },
        },
        byName: { type: 'object', additionalProperties: { type: 'object', properties: { on: { type: 'boolean', default: true } } } },
        tags: { type: 'array', items: { type: 'string', default: 'none' } },
        list: { type: 'array', default: ['a'], items: { type: 'string' } },
      },
    },
  },
};

interface Case {
  name: string;
  obj: Record<string, unknown>;
  want: Record<string, unknown>;
}

const base = { replicas: 1, mode: 'fast', nested: { inner: { x: 7 } }, list: ['a'] };

const cases: Case[] = [
  { name: 'absent spec defaulted top-down', obj: {}, want: { spec: base } },
  { name: 'given values kept', obj: { spec: { replicas: 3, nested: { inner: { x: 1 } } } }, want: { spec: { ...base, replicas: 3, nested: { inner: { x: 1 } } } } },
  { name: 'non-nullable null replaced by default', obj: { spec: { mode: null } }, want: { spec: base } },
  { name: 'non-nullable null without default dropped', obj: { spec: { opt: null } }, want: { spec: base } },
  { name: 'nullable null kept', obj: { spec: { maybe: null } }, want: { spec: { ...base, maybe: null } } },
  {
    name: 'array items defaulted, null item replaced',
    obj: { spec: { ports: [{ port: 443 }, null, { port: 53, protocol: 'UDP' }] } },
    want: { spec: { ...base, ports: [{ port: 443, protocol: 'TCP' }, { port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] } },
  },
  { name: 'scalar array item null replaced', obj: { spec: { tags: ['a', null] } }, want: { spec: { ...base, tags: ['a', 'none'] } } },
  {
    name: 'additionalProperties values defaulted',
    obj: { spec: { byName: { a: {}, b: { on: false } } } },
    want: { spec: { ...base, byName: { a: { on: true }, b: { on: false } } } },
  },
  { name: 'empty list kept', obj: { spec: { list: [] } }, want: { spec: { ...base, list: [] } } },
];

for (const c of cases) {
  test(`applySchemaDefaults: ${c.name}`, () => {
    const obj = structuredClone(c.obj);
    applySchemaDefaults(schema, obj);
    assert.deepEqual(obj, c.want);
  });
}

test('applySchemaDefaults: defaults are deep copies', () => {
  const a: Record<string, any> = {};
  const b: Record<string, any> = {};
  applySchemaDefaults(schema, a);
  applySchemaDefaults(schema, b);
  a.spec.list.push('mutated');
  assert.deepEqual(b.spec.list, ['a']);
  assert.deepEqual((schema.properties?.spec?.properties?.list?.default as string[]), ['a']);
});

test('applySchemaDefaults: a "__proto__" map key gets an own value, not a new prototype', () => {
  const obj = { spec: { byName: JSON.parse('{"__proto__":null}') } } as Record<string, any>;
  const s: JSONSchemaProps = {
    type: 'object',
    properties: { spec: { type: 'object', properties: { byName: { type: 'object', additionalProperties: { type: 'object', default: { on: true } } } } } },
  };
  applySchemaDefaults(s, obj);
  assert.equal(Object.getPrototypeOf(obj.spec.byName), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(obj.spec.byName, '__proto__')?.value, { on: true });
});
