import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { pruneUnknown } from './prune.ts';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
        labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } },
      },
    },
  },
};

interface Case {
  name: string;
  obj: Record<string, unknown>;
  want: Record<string, unknown>;
  removed: string[];
}

const meta = { apiVersion: 'x.io/v1', kind: 'Foo', metadata: { name: 'a', unknownMeta: 1 } };

const cases: Case[] = [
  { name: 'nothing unknown', obj: { ...meta, spec: { replicas: 1 } }, want: { ...meta, spec: { replicas: 1 } }, removed: [] },
  {
    name: 'unknown top-level and nested',
    obj: { ...meta, status: {}, spec: { replicas: 1, foo: 'x' } },
    want: { ...meta, spec: { replicas: 1 } },
    removed: ['spec.foo', 'status'],
  },
  {
    name: 'inside array items',
    obj: { ...meta, spec: { items: [{ name: 'a', x: 1 }, { name: 'b' }, { y: 2 }] } },
    want: { ...meta, spec: { items: [{ name: 'a' }, { name: 'b' }, {}] } },
    removed: ['spec.items[0].x', 'spec.items[2].y'],
  },
  {
    name: 'inside additionalProperties values',
    obj: { ...meta, spec: { labels: { k: { v: 'a', w: 'b' } } } },
    want: { ...meta, spec: { labels: { k: { v: 'a' } } } },
    removed: ['spec.labels.k.w'],
  },
  {
    name: 'preserve-unknown-fields keeps unknown but prunes known subtrees',
    obj: { ...meta, spec: { free: { anything: { deep: 1 }, known: { a: 'x', b: 'y' } } } },
    want: { ...meta, spec: { free: { anything: { deep: 1 }, known: { a: 'x' } } } },
    removed: ['spec.free.known.b'],
  },
  {
    name: 'embedded resource keeps TypeMeta and metadata',
    obj: { ...meta, spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {}, extra: 1 } } },
    want: { ...meta, spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} } } },
    removed: ['spec.template.extra'],
  },
  {
    name: 'embedded resource drops ill-typed kind',
    obj: { ...meta, spec: { template: { kind: 5 } } },
    want: { ...meta, spec: { template: {} } },
    removed: ['spec.template.kind'],
  },
  {
    name: 'ill-typed root kind dropped without a warning',
    obj: { apiVersion: 'x.io/v1', kind: 7, metadata: {} },
    want: { apiVersion: 'x.io/v1', metadata: {} },
    removed: [],
  },
];

for (const c of cases) {
  test(`pruneUnknown: ${c.name}`, () => {
    const obj = structuredClone(c.obj);
    assert.deepEqual(pruneUnknown(schema, obj), c.removed);
    assert.deepEqual(obj, c.want);
  });
}

test('pruneUnknown: without a schema everything but TypeMeta and metadata goes', () => {
  const obj: Record<string, unknown> = { ...structuredClone(meta), spec: { a: 1 } };
  assert.deepEqual(pruneUnknown(undefined, obj), ['spec']);
  assert.deepEqual(obj, meta);
});

test('pruneUnknown: a key named like an Object.prototype member is still unknown', () => {
  const obj: Record<string, unknown> = { ...structuredClone(meta), spec: JSON.parse('{"constructor":1,"__proto__":2}') };
  assert.deepEqual(pruneUnknown(schema, obj), ['spec.__proto__', 'spec.constructor']);
  assert.deepEqual(Object.keys(obj.spec as object), []);
});
