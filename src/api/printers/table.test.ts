import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinResources } from '../registry/builtin.ts';
import type { ResourceDef } from '../registry/resource-def.ts';
import { crdPrinterColumns } from './custom-columns.ts';
import { includeObjectError, parseIncludeObject, tableFor, watchTableEvent } from './table.ts';

const now = new Date('2024-05-01T12:00:00Z');
const def = (kind: string): ResourceDef => {
  const d = builtinResources().find((x) => x.kind === kind);
  assert.ok(d);
  return d;
};
const cm = (name: string, rv: string) => ({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'ns', resourceVersion: rv, creationTimestamp: '2024-05-01T11:00:00Z' }, data: { a: '1' } });

test('list table: list metadata, columns, PartialObjectMetadata rows', () => {
  const t = tableFor(def('ConfigMap'), [cm('a', '5'), cm('b', '6')], { now, includeObject: 'Metadata', listMeta: { resourceVersion: '10', continue: 'tok', remainingItemCount: 3 } }) as Record<string, any>;
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '10', continue: 'tok', remainingItemCount: 3 });
  assert.deepEqual(t.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Data', 'Age']);
  assert.deepEqual(t.rows[0], { cells: ['a', 1, '60m'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm('a', '5').metadata } });
  assert.deepEqual(Object.keys(t), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
});

test('includeObject: Object embeds the object, None leaves null; v1beta1 tables', () => {
  const full = tableFor(def('ConfigMap'), [cm('a', '5')], { now, includeObject: 'Object', listMeta: {} }) as Record<string, any>;
  assert.deepEqual(full.rows[0].object, cm('a', '5'));
  assert.deepEqual(full.metadata, {});
  const none = tableFor(def('ConfigMap'), [cm('a', '5')], { now, includeObject: 'None', version: 'v1beta1' }) as Record<string, any>;
  assert.equal(none.rows[0].object, null);
  assert.equal(none.apiVersion, 'meta.k8s.io/v1beta1');
  // A single object: the table takes its resourceVersion.
  assert.deepEqual(none.metadata, { resourceVersion: '5' });
});

test('pod rows carry the Completed condition', () => {
  const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { containers: [] }, status: { phase: 'Succeeded' } };
  const t = tableFor(def('Pod'), [pod], { now, includeObject: 'None' }) as Record<string, any>;
  assert.deepEqual(Object.keys(t.rows[0]), ['cells', 'conditions', 'object']);
  assert.equal(t.rows[0].conditions[0].reason, 'Succeeded');
});

test('empty lists: [] rows from kind printers, null from the default convertor', () => {
  const pods = tableFor(def('Pod'), [], { now, includeObject: 'Metadata', listMeta: { resourceVersion: '3' } }) as Record<string, any>;
  assert.deepEqual(pods.rows, []);
  const roles = tableFor(def('Role'), [], { now, includeObject: 'Metadata', listMeta: { resourceVersion: '3' } }) as Record<string, any>;
  assert.equal(roles.rows, null);
  assert.deepEqual(roles.columnDefinitions.map((c: { name: string; type: string }) => `${c.name}:${c.type}`), ['Name:string', 'Created At:date']);
});

test('watch events: one row each, column definitions only in the first', () => {
  const first = watchTableEvent(def('ConfigMap'), cm('a', '5'), { now, includeObject: 'Metadata', first: true }) as Record<string, any>;
  const later = watchTableEvent(def('ConfigMap'), cm('a', '6'), { now, includeObject: 'Metadata', first: false }) as Record<string, any>;
  assert.equal(first.columnDefinitions.length, 3);
  assert.equal(later.columnDefinitions, null);
  assert.equal(later.rows.length, 1);
  assert.deepEqual(later.metadata, { resourceVersion: '6' });
});

test('custom resources use the CRD version columns', () => {
  const crd = { spec: { versions: [{ name: 'v1', additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }] }] } };
  const crDef = { ...def('ConfigMap'), group: 'example.com', kind: 'Widget', resource: 'widgets', typeName: undefined, custom: { crdName: 'widgets.example.com' } } as ResourceDef;
  const w = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', resourceVersion: '4' }, spec: { size: 2 } };
  const t = tableFor(crDef, [w], { now, includeObject: 'Metadata', columns: crdPrinterColumns(crd, 'v1') }) as Record<string, any>;
  assert.deepEqual(t.rows[0].cells, ['w', 2]);
  // Without columns: the default Age column.
  const d = tableFor(crDef, [w], { now, includeObject: 'Metadata' }) as Record<string, any>;
  assert.deepEqual(d.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Age']);
  // A missing creationTimestamp is a missing key: an empty cell.
  assert.deepEqual(d.rows[0].cells, ['w', null]);
});

test('parseIncludeObject', () => {
  assert.equal(parseIncludeObject(undefined), 'Metadata');
  assert.equal(parseIncludeObject(''), 'Metadata');
  assert.equal(parseIncludeObject('Object'), 'Object');
  assert.equal(parseIncludeObject('None'), 'None');
  assert.equal(parseIncludeObject('object'), undefined);
  assert.equal(includeObjectError('x'), 'unrecognized includeObject value: "x"');
});
