import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TABLE_CONTENT_TYPE, wantsTable } from './accept.ts';

test('wantsTable follows the first clause the server can serve', () => {
  const kubectl = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  const cases: [string | undefined, string | undefined][] = [
    [kubectl, 'v1'],
    ['application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json', 'v1beta1'],
    ['application/json;as=Table;v=v2;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io', 'v1beta1'],
    ['application/json, application/json;as=Table;v=v1;g=meta.k8s.io', undefined],
    ['application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io', 'v1'],
    ['application/json;as=Table;v=v1;g=meta.k8s.io;q=0, application/json', undefined],
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io', 'v1'],
    ['application/json;as=Table;v=v1;g=other.io,application/json', undefined],
    ['application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json', undefined],
    ['text/html, application/json;as=Table;v=v1;g=meta.k8s.io', 'v1'],
    ['*/*', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [accept, want] of cases) assert.equal(wantsTable(accept), want, String(accept));
  assert.equal(TABLE_CONTENT_TYPE.v1, 'application/json;as=Table;v=v1;g=meta.k8s.io');
});
