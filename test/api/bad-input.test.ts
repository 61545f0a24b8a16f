import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/**
 * Bad input of every kind gets a Kubernetes Status error and changes nothing stored. Each case
 * records the store revision before and after.
 */
let c: TestCluster;
before(async () => {
  c = await startTestCluster();
  const r = await c.admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' }, data: { a: '1' } });
  assert.equal(r.status, 201);
});
after(async () => {
  await c.close();
});

const CM = '/api/v1/namespaces/default/configmaps';

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
  status: number;
  reason: string;
  message?: RegExp;
}

const deep = (n: number) => '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":{},"x":' + '['.repeat(n) + ']'.repeat(n) + '}';
const aliasBomb = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: bomb}',
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
].join('\n');

const cases: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: CM, body: '{"apiVersion": "v1", "kind": ', status: 400, reason: 'BadRequest' },
  { name: 'JSON that is not an object', method: 'POST', path: CM, body: '[1,2,3]', status: 400, reason: 'BadRequest' },
  { name: 'malformed YAML', method: 'POST', path: CM, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n', contentType: 'application/yaml', status: 400, reason: 'BadRequest' },
  { name: 'YAML alias bomb', method: 'POST', path: CM, body: aliasBomb, contentType: 'application/yaml', status: 400, reason: 'BadRequest' },
  { name: 'deeply nested JSON', method: 'POST', path: CM, body: deep(5000), status: 400, reason: 'BadRequest', message: /nested deeper/ },
  { name: 'body over 3 MiB', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024) } }), status: 413, reason: 'RequestEntityTooLarge' },
  { name: 'apiVersion not matching the URL', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest', message: /API version in the data \(apps\/v1\) does not match/ },
  { name: 'kind not matching the URL', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest' },
  { name: 'namespace in body not matching the URL', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'kube-system' } }), status: 400, reason: 'BadRequest', message: /does not match the namespace sent on the request/ },
  { name: 'unknown field under fieldValidation=Strict', method: 'POST', path: CM + '?fieldValidation=Strict', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, bogus: 1 }), status: 400, reason: 'BadRequest', message: /strict decoding error: unknown field "bogus"/ },
  { name: 'invalid fieldValidation value', method: 'POST', path: CM + '?fieldValidation=Loose', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest' },
  { name: 'name with a slash in the URL', method: 'GET', path: CM + '/a%2Fb', status: 404, reason: 'NotFound' },
  { name: 'empty name', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '' } }), status: 422, reason: 'Invalid' },
  { name: 'name ".."', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '..' } }), status: 422, reason: 'Invalid' },
  { name: 'name with a slash in the body', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a/b' } }), status: 422, reason: 'Invalid' },
  { name: 'unknown resource', method: 'GET', path: '/api/v1/namespaces/default/widgets', status: 404, reason: 'NotFound', message: /could not find the requested resource/ },
  { name: 'unknown group', method: 'GET', path: '/apis/example.com/v1/things', status: 404, reason: 'NotFound' },
  { name: 'unsupported media type', method: 'POST', path: CM, body: 'a=b', contentType: 'text/plain', status: 415, reason: 'UnsupportedMediaType' },
  { name: 'unsupported patch type', method: 'PATCH', path: CM + '/keep', body: '{}', contentType: 'application/json', status: 415, reason: 'UnsupportedMediaType' },
  { name: 'malformed merge patch', method: 'PATCH', path: CM + '/keep', body: '{"data":', contentType: 'application/merge-patch+json', status: 400, reason: 'BadRequest' },
  { name: 'malformed protobuf', method: 'POST', path: CM, body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff]), contentType: 'application/vnd.kubernetes.protobuf', status: 400, reason: 'BadRequest' },
  { name: 'protobuf without the magic', method: 'POST', path: CM, body: Buffer.from([1, 2, 3, 4, 5]), contentType: 'application/vnd.kubernetes.protobuf', status: 400, reason: 'BadRequest' },
  { name: 'update with a name not matching the URL', method: 'PUT', path: CM + '/keep', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } }), status: 400, reason: 'BadRequest' },
  { name: 'invalid label value', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lbl', labels: { a: 'not valid!' } } }), status: 422, reason: 'Invalid' },
  { name: 'invalid label selector', method: 'GET', path: CM + '?labelSelector=' + encodeURIComponent('a in (b'), status: 400, reason: 'BadRequest' },
  { name: 'invalid dryRun value', method: 'POST', path: CM + '?dryRun=Some', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest' },
  { name: 'invalid resourceVersion', method: 'GET', path: CM + '?resourceVersion=abc', status: 400, reason: 'BadRequest' },
];

for (const tc of cases) {
  test(`bad input: ${tc.name} → ${tc.status} ${tc.reason}, nothing stored`, async () => {
    const before = c.cp.store.currentRevision();
    const r = await c.admin.req(tc.method, tc.path, { body: tc.body, contentType: tc.contentType });
    assert.equal(r.status, tc.status, r.text.slice(0, 500));
    assert.equal(r.body?.kind, 'Status', r.text.slice(0, 200));
    assert.equal(r.body.apiVersion, 'v1');
    assert.equal(r.body.status, 'Failure');
    assert.equal(r.body.code, tc.status);
    assert.equal(r.body.reason, tc.reason);
    if (tc.message) assert.match(r.body.message, tc.message);
    assert.equal(c.cp.store.currentRevision(), before, 'the store revision must not move');
    const keep = await c.admin.get(CM + '/keep');
    assert.deepEqual(keep.body.data, { a: '1' });
  });
}

test('unknown fields are dropped with a warning by default', async () => {
  const r = await c.admin.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warned' }, data: { a: 'b' }, bogus: 1 });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.bogus, undefined);
  assert.match(String(r.headers.warning), /299 - "unknown field \\"bogus\\""/);
});
