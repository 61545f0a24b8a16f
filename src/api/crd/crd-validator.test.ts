import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../validation/field-errors.ts';
import { crdVersionInfo, customResourceValidator } from './crd-validator.ts';
import { applySchemaDefaults } from './defaults.ts';
import { pruneUnknown } from './prune.ts';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              // metadata restrictions are the REST layer's business, not this schema pass
              metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 3 } } },
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
                  replicas: { type: 'integer' },
                  color: { type: 'string', enum: ['red', 'blue'] },
                },
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
            },
          },
        },
      },
      { name: 'v1beta1', served: true, storage: false },
    ],
  },
};

const widget = (spec: unknown, extra: Record<string, unknown> = {}): Record<string, any> => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'long-name', namespace: 'default' },
  spec,
  ...extra,
});

const cases: { name: string; obj: Record<string, any>; want: string[] }[] = [
  { name: 'valid', obj: widget({ size: 3, color: 'red' }), want: [] },
  {
    name: 'schema errors',
    obj: widget({ size: 11, color: 'pink' }),
    want: [
      'spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10',
      'spec.color: Unsupported value: "pink": supported values: "red", "blue"',
    ],
  },
  { name: 'missing spec', obj: widget(undefined), want: ['spec: Required value'] },
  { name: 'wrong kind', obj: { ...widget({ size: 1 }), kind: 'Gadget' }, want: ['kind: Invalid value: "Gadget": must be Widget'] },
  {
    name: 'wrong apiVersion',
    obj: { ...widget({ size: 1 }), apiVersion: 'example.com/v2' },
    want: ['apiVersion: Invalid value: "example.com/v2": must be example.com/v1'],
  },
  { name: 'metadata not an object', obj: { ...widget({ size: 1 }), metadata: 'x' }, want: ['metadata: Invalid value: "x": must be an object'] },
  { name: 'no name', obj: { ...widget({ size: 1 }), metadata: {} }, want: ['metadata.name: Required value: name or generateName is required'] },
  {
    name: 'scale replicas negative',
    obj: widget({ size: 1, replicas: -1 }),
    want: ['.spec.replicas: Invalid value: -1: should be a non-negative integer'],
  },
  {
    name: 'scale selector type',
    obj: widget({ size: 1 }, { status: { selector: 5 } }),
    // reported by both the schema and the scale check, as upstream does
    want: [
      'status.selector: Invalid value: "integer": status.selector in body must be of type string: "integer"',
      '.status.selector: Invalid value: "": .status.selector accessor error: 5 is of the type int64, expected string',
    ],
  },
];

const validate = customResourceValidator(crd, 'v1');
for (const c of cases) {
  test(`customResourceValidator: ${c.name}`, () => {
    assert.deepEqual(validate(c.obj).map(errorString), c.want);
  });
}

test('customResourceValidator: prune, default, validate end to end', () => {
  const obj = widget({ extra: true }, { status: { replicas: 2, junk: 1 } });
  assert.deepEqual(pruneUnknown(crdVersionInfo(crd, 'v1').schema, obj), ['spec.extra', 'status.junk']);
  applySchemaDefaults(crdVersionInfo(crd, 'v1').schema, obj);
  assert.deepEqual(obj.spec, { size: 1 });
  assert.deepEqual(validate(obj), []);
});

test('customResourceValidator: a version without a schema only checks meta', () => {
  const v = customResourceValidator(crd, 'v1beta1');
  assert.deepEqual(v({ apiVersion: 'example.com/v1beta1', kind: 'Widget', metadata: { name: 'a' }, anything: 1 }), []);
});

test('customResourceValidator: an unknown version is a configuration error', () => {
  assert.throws(() => customResourceValidator(crd, 'v9'), /no version "v9"/);
});

test('crdVersionInfo', () => {
  const v1 = crdVersionInfo(crd, 'v1');
  assert.equal(v1.statusSubresource, true);
  assert.deepEqual(v1.scale, { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' });
  assert.equal(v1.schema?.type, 'object');
  assert.deepEqual(crdVersionInfo(crd, 'v1beta1'), { statusSubresource: false });
  assert.deepEqual(crdVersionInfo(crd, 'nope'), { statusSubresource: false });
});
