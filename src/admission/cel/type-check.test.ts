import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { builtinResources } from '../../api/registry/builtin.ts';
import { ResourceRegistry } from '../../api/registry/registry.ts';
import { typeCheckPolicy } from './type-check.ts';

const registry = new ResourceRegistry(builtinResources());
const check = (expressions: string[], resources = ['pods'], extra: Record<string, unknown> = {}) =>
  typeCheckPolicy(
    {
      metadata: { name: 'p' },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources }] } as never,
        validations: expressions.map((expression) => ({ expression })),
        ...extra,
      },
    } as ValidatingAdmissionPolicy,
    registry,
  );

test('known fields, maps, lists and TypeMeta pass; an unknown field is an error at its dot', () => {
  assert.deepEqual(check(["object.metadata.labels.app == 'x' && object.spec.containers[0].image != '' && object.kind == 'Pod'"]), []);
  assert.deepEqual(check(['object.spec.nodeNme == ""']), [
    { fieldRef: 'spec.validations[0].expression', warning: "/v1, Kind=Pod: ERROR: <input>:1:12: undefined field 'nodeNme'\n | object.spec.nodeNme == \"\"\n | ...........^\n" },
  ]);
});

test('comprehension variables take the item type of the list', () => {
  const w = check(['object.spec.containers.all(c, c.imagee.startsWith("r/"))']);
  assert.equal(w.length, 1);
  assert.match(w[0]!.warning, /ERROR: <input>:1:32: undefined field 'imagee'/);
  assert.deepEqual(check(['object.spec.containers.all(c, c.image.startsWith("r/")) && object.metadata.labels.all(k, k != "")']), []);
});

test('every matched kind is checked; params against the paramKind', () => {
  const w = check(['object.spec.replicas > 1'], ['pods', 'replicationcontrollers']);
  assert.equal(w.length, 1);
  assert.match(w[0]!.warning, /^\/v1, Kind=Pod: ERROR: <input>:1:12: undefined field 'replicas'/);
  const p = check(['params.dat.x == "y"'], ['pods'], { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } });
  assert.match(p[0]!.warning, /undefined field 'dat'/);
});

test('wildcards and unknown kinds are not checked', () => {
  assert.deepEqual(check(['object.whatever'], ['*']), []);
});

test("custom resources are checked against the CRD's schema; preserved unknown fields are not", () => {
  const reg = new ResourceRegistry(builtinResources());
  const schema = {
    type: 'object',
    properties: {
      spec: { type: 'object', properties: { size: { type: 'integer' }, tags: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' } } } }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
    },
  };
  reg.add({ ...builtinResources()[0]!, group: 'example.com', version: 'v1', kind: 'Widget', listKind: 'WidgetList', resource: 'widgets', singular: 'widget', namespaced: true, custom: { crdName: 'widgets.example.com', schema } });
  const w = typeCheckPolicy(
    {
      metadata: { name: 'p' },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: ['example.com'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['widgets'] }] } as never,
        validations: [
          { expression: "object.spec.size > 1 && object.spec.free.anything == 1 && object.metadata.name != '' && object.spec.tags.all(t, t.key != '')" },
          { expression: "object.spec.sise > 1 || object.spec.tags.exists(t, t.kee == '')" },
        ],
      },
    } as ValidatingAdmissionPolicy,
    reg,
  );
  assert.equal(w.length, 1);
  assert.equal(w[0]!.fieldRef, 'spec.validations[1].expression');
  assert.match(w[0]!.warning, /^example.com\/v1, Kind=Widget: ERROR: <input>:1:12: undefined field 'sise'\n.*\n.*\nERROR: <input>:1:53: undefined field 'kee'/);
});
