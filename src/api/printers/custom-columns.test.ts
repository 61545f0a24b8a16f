import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crdPrinterColumns, customResourcePrinter } from './custom-columns.ts';
import { goPrint } from './go-print.ts';
import { compileJsonPath } from './jsonpath.ts';

const now = new Date('2024-05-01T12:00:00Z');

const crd = {
  spec: {
    versions: [
      {
        name: 'v1',
        additionalPrinterColumns: [
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Ready condition' },
          { name: 'Ratio', type: 'number', jsonPath: '.status.ratio', priority: 1 },
          { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
          { name: 'Image', type: 'string', jsonPath: ".spec.containers[0]['image']" },
          { name: 'Labels', type: 'string', jsonPath: '.metadata.labels' },
          { name: 'Last', type: 'date', jsonPath: '.status.lastSeen' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      },
      { name: 'v2' },
    ],
  },
};

test('CRD columns: Name first, then the version columns; Age alone when none', () => {
  const p = customResourcePrinter(crdPrinterColumns(crd, 'v1'));
  assert.deepEqual(
    p.columns.map((c) => [c.name, c.type, c.priority]),
    [['Name', 'string', 0], ['Replicas', 'integer', 0], ['Ready', 'string', 0], ['Ratio', 'number', 1], ['Paused', 'boolean', 0], ['Image', 'string', 0], ['Labels', 'string', 0], ['Last', 'date', 0], ['Age', 'date', 0]],
  );
  assert.equal(p.columns[1]?.description, 'Custom resource definition column (in JSONPath format): .spec.replicas');
  assert.equal(p.columns[2]?.description, 'Ready condition');
  const d = customResourcePrinter(crdPrinterColumns(crd, 'v2'));
  assert.deepEqual(d.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(d.cells({ metadata: { name: 'a', creationTimestamp: '2024-05-01T11:00:00Z' } }, now), ['a', '60m']);
});

test('CRD cells: typed values, null when missing or of another type', () => {
  const p = customResourcePrinter(crdPrinterColumns(crd, 'v1'));
  const full = {
    metadata: { name: 'w', creationTimestamp: '2024-04-28T12:00:00Z', labels: { b: '2', a: '1' } },
    spec: { replicas: 3.7, paused: false, containers: [{ image: 'nginx' }] },
    status: { ratio: 2, lastSeen: 'not a time', conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
  };
  assert.deepEqual(p.cells(full, now), ['w', 3, 'True', 2, false, 'nginx', 'map[a:1 b:2]', '<invalid>', '3d']);
  const empty = { metadata: { name: 'e' }, spec: { replicas: 'three', paused: 'no' }, status: { lastSeen: '' } };
  assert.deepEqual(p.cells(empty, now), ['e', null, null, null, null, null, null, '<unknown>', null]);
});

test('JSONPath subset', () => {
  const doc = { a: { b: [{ n: 1, t: 'x' }, { n: 2, t: 'y' }, { n: 3, t: 'z' }], 'dotted.key': 'd', flag: true } };
  const cases: [string, unknown[]][] = [
    ['.a.b[0].n', [1]],
    ['{.a.b[-1].t}', ['z']],
    ['.a.b[*].n', [1, 2, 3]],
    ['.a.b[1:].t', ['y', 'z']],
    ['.a.b[?(@.n>1)].t', ['y', 'z']],
    ['.a.b[?(@.t!="x")].n', [2, 3]],
    ['.a.b[?(@.t)].n', [1, 2, 3]],
    [".a['dotted.key']", ['d']],
    ['.a.dotted\\.key', ['d']],
    ['..t', ['x', 'y', 'z']],
    ['.a.missing.deeper', []],
    ['.a.b.n', []],
    ['.a.flag', [true]],
  ];
  for (const [path, want] of cases) assert.deepEqual(compileJsonPath(path)(doc), want, path);
  assert.throws(() => compileJsonPath('.a[?(@.x =~ /y/)]'));
});

test('goPrint formats as Go fmt.Print does', () => {
  const cases: [unknown, string][] = [
    ['s', 's'],
    [3, '3'],
    [1.5, '1.5'],
    [1234567.5, '1.2345675e+06'],
    [0.00001, '1e-05'],
    [true, 'true'],
    [['a', 1], '[a 1]'],
    [{ z: { y: 1 }, a: null }, 'map[a:<nil> z:map[y:1]]'],
  ];
  for (const [v, want] of cases) assert.equal(goPrint(v), want);
});
