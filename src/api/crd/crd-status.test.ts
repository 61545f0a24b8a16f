import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crdAcceptedStatus } from './crd-status.ts';

const NOW = '2024-05-01T10:00:00Z';

const crd = (names: Record<string, unknown>, status?: Record<string, unknown>): object => ({
  spec: {
    group: 'example.com',
    names,
    versions: [
      { name: 'v1beta1', served: true, storage: false },
      { name: 'v1', served: true, storage: true },
    ],
  },
  ...(status ? { status } : {}),
});

test('crdAcceptedStatus: conditions as the naming and establishing controllers write them', () => {
  const s = crdAcceptedStatus(crd({ plural: 'widgets', kind: 'Widget' }), NOW);
  assert.deepEqual(s.conditions, [
    { type: 'NamesAccepted', status: 'True', lastTransitionTime: NOW, reason: 'NoConflicts', message: 'no conflicts found' },
    { type: 'Established', status: 'True', lastTransitionTime: NOW, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
  ]);
});

const nameCases: { name: string; names: Record<string, unknown>; want: Record<string, unknown> }[] = [
  {
    name: 'defaults singular and listKind',
    names: { plural: 'widgets', kind: 'Widget' },
    want: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
  },
  {
    name: 'copies everything given',
    names: { plural: 'widgets', singular: 'wid', kind: 'Widget', listKind: 'Widgets', shortNames: ['wd'], categories: ['all'] },
    want: { plural: 'widgets', singular: 'wid', shortNames: ['wd'], kind: 'Widget', listKind: 'Widgets', categories: ['all'] },
  },
];

for (const c of nameCases) {
  test(`crdAcceptedStatus: acceptedNames ${c.name}`, () => {
    assert.deepEqual(crdAcceptedStatus(crd(c.names), NOW).acceptedNames, c.want);
  });
}

const storedCases: { name: string; status?: Record<string, unknown>; want: string[] }[] = [
  { name: 'new CRD stores its storage version', want: ['v1'] },
  { name: 'earlier stored versions are kept', status: { storedVersions: ['v1beta1'] }, want: ['v1beta1', 'v1'] },
  { name: 'no duplicate', status: { storedVersions: ['v1'] }, want: ['v1'] },
];

for (const c of storedCases) {
  test(`crdAcceptedStatus: storedVersions ${c.name}`, () => {
    assert.deepEqual(crdAcceptedStatus(crd({ plural: 'w', kind: 'W' }, c.status), NOW).storedVersions, c.want);
  });
}
