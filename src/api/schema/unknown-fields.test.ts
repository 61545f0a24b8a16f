import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from './schema.ts';
import { findUnknownFields, MAX_UNKNOWN_FIELDS } from './unknown-fields.ts';

const POD = 'k8s.io.api.core.v1.Pod';
const DEPLOYMENT = 'k8s.io.api.apps.v1.Deployment';

function pod(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'x' } }, spec, ...extra };
}

describe('findUnknownFields', () => {
  const cases: [string, string, unknown, string[]][] = [
    ['a clean pod', POD, pod({ containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] }), []],
    ['top-level unknown', POD, pod({}, { bogus: 1 }), ['bogus']],
    ['spec field', POD, pod({ foo: true }), ['spec.foo']],
    ['container field by index', POD, pod({ containers: [{ name: 'a' }, { name: 'b', foo: 1 }] }), ['spec.containers[1].foo']],
    ['nested list in list', POD, pod({ containers: [{ name: 'a', ports: [{ containerPort: 1, port: 2 }] }] }), ['spec.containers[0].ports[0].port']],
    ['metadata field', POD, pod({}, { metadata: { name: 'p', nam: 'q' } }), ['metadata.nam']],
    // Label values are strings, not objects: nothing below them to check.
    ['map of scalars', POD, pod({}, { metadata: { labels: { anything: 'goes' } } }), []],
    [
      'map of quantities and int-or-string are leaves',
      POD,
      pod({ containers: [{ name: 'a', resources: { limits: { cpu: '1' } }, livenessProbe: { httpGet: { port: 'http' } } }] }),
      [],
    ],
    ['case matters', POD, pod({ Containers: [] }), ['spec.Containers']],
    ['apiVersion and kind only at the top', POD, pod({ kind: 'x' }), ['spec.kind']],
    [
      'deployment template',
      DEPLOYMENT,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: {
          replicas: 1,
          replica: 2,
          strategy: { rollingUpdate: { maxSurge: '25%' } },
          template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', imag: 'x' }] } },
        },
      },
      ['spec.replica', 'spec.template.spec.containers[0].imag'],
    ],
    [
      'managedFields fieldsV1 is free-form',
      POD,
      pod({}, { metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:x': {} } } }] } }),
      [],
    ],
    ['wrong JSON type is not an unknown field', POD, pod({ containers: 'nope' }, { metadata: 'x' }), []],
    ['prototype keys are unknown fields', POD, pod(JSON.parse('{"__proto__": {"x": 1}, "constructor": 1}')), ['spec.__proto__', 'spec.constructor']],
  ];
  for (const [name, type, obj, want] of cases) {
    test(name, () => {
      assert.deepEqual(findUnknownFields(loadSchema(), type, obj), want);
    });
  }

  test('map values of message type carry the key in the path', () => {
    // resource.k8s.io/v1beta2 ResourceSlice (1.33): spec.devices[].attributes is map<string, DeviceAttribute>.
    const slice = {
      apiVersion: 'resource.k8s.io/v1beta2',
      kind: 'ResourceSlice',
      spec: { devices: [{ name: 'gpu0', attributes: { model: { string: 'x' }, 'vendor.io/mem': { int: 1, float: 2 } } }] },
    };
    assert.deepEqual(findUnknownFields(loadSchema(), 'k8s.io.api.resource.v1beta2.ResourceSlice', slice), [
      'spec.devices[0].attributes.vendor.io/mem.float',
    ]);
  });

  test('fields of embedded (inline) structs are known: Volume sources, Probe handlers', () => {
    const obj = pod({ volumes: [{ name: 'v', emptyDir: {}, configMap: { name: 'cm', bogus: 1 } }], containers: [] });
    assert.deepEqual(findUnknownFields(loadSchema(), POD, obj), ['spec.volumes[0].configMap.bogus']);
  });

  test(`stops after ${MAX_UNKNOWN_FIELDS}`, () => {
    const spec: Record<string, number> = {};
    for (let i = 0; i < 150; i++) spec[`f${i}`] = i;
    const got = findUnknownFields(loadSchema(), POD, pod(spec));
    assert.equal(got.length, MAX_UNKNOWN_FIELDS);
    assert.equal(got[0], 'spec.f0');
  });

  test('unknown type name reports nothing', () => {
    assert.deepEqual(findUnknownFields(loadSchema(), 'example.Widget', { a: 1 }), []);
  });
});
