import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import protobuf from 'protobufjs';
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
  const e = await c.admin.post(EV, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'keep-ev' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, message: 'small' });
  assert.equal(e.status, 201, e.text);
  // The controllers' own first writes (default ServiceAccounts, root CA ConfigMaps) must be done
  // before any case compares store revisions.
  const namespaces = (await c.admin.get('/api/v1/namespaces')).body.items.map((n: any) => n.metadata.name);
  for (const ns of namespaces) {
    for (const key of [`/registry/core/serviceaccounts/${ns}/default`, `/registry/core/configmaps/${ns}/kube-root-ca.crt`]) {
      for (let i = 0; i < 1000 && !(await c.cp.store.get(key)); i++) await new Promise((res) => setTimeout(res, 10));
    }
  }
  // ... and so must the rest of start-up (local APIServices becoming Available, ...).
  await c.settled();
});
after(async () => {
  await c.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
/** Events carry a message with no length limit of its own: only the object size bound applies. */
const EV = '/api/v1/namespaces/default/events';
const event = (name: string, message: string) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, message });

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
  status: number;
  reason: string;
  message?: RegExp;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length to refuse it by). */
  chunked?: boolean;
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

/** A ConfigMap in protobuf whose managedFields[0].fieldsV1 (JSON carried as bytes) nests `n` deep. */
function protobufDeepFieldsV1(n: number): Buffer {
  const w = protobuf.Writer.create;
  const fields = Buffer.from('{"f:x":'.repeat(n) + '{}' + '}'.repeat(n));
  const entry = w().uint32((1 << 3) | 2).string('evil').uint32((2 << 3) | 2).string('Update').uint32((3 << 3) | 2).string('v1')
    .uint32((6 << 3) | 2).string('FieldsV1').uint32((7 << 3) | 2).bytes(w().uint32((1 << 3) | 2).bytes(fields).finish()).finish();
  const meta = w().uint32((1 << 3) | 2).string('pb-deep').uint32((17 << 3) | 2).bytes(entry).finish();
  const cm = w().uint32((1 << 3) | 2).bytes(meta).finish();
  const unknown = w().uint32((1 << 3) | 2).bytes(w().uint32((1 << 3) | 2).string('v1').uint32((2 << 3) | 2).string('ConfigMap').finish()).uint32((2 << 3) | 2).bytes(cm).finish();
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
}

/** A YAML ServiceAccount whose secret names are `copies` aliases of one `anchorBytes` anchor. */
const yamlAliases = (name: string, anchorBytes: number, copies: number) =>
  `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}}\nsecrets:\n- {name: &a "${'x'.repeat(anchorBytes)}"}\n` +
  Array.from({ length: copies }, () => `- {name: *a}\n`).join('');
const SA = '/api/v1/namespaces/default/serviceaccounts';

/** A JSON patch whose every part is shallow, but whose second op adds a deep value at a deep path. */
function deepeningJsonPatch(): string {
  const nest = (n: number) => '{"a":'.repeat(n) + '{}' + '}'.repeat(n);
  return JSON.stringify([
    { op: 'add', path: '/metadata/annotations', value: {} },
    { op: 'add', path: '/x', value: JSON.parse(nest(90)) },
    { op: 'add', path: '/x' + '/a'.repeat(90), value: JSON.parse(nest(90)) },
  ]);
}

const BIG = 'x'.repeat(1600 * 1024);

const cases: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: CM, body: '{"apiVersion": "v1", "kind": ', status: 400, reason: 'BadRequest' },
  { name: 'JSON that is not an object', method: 'POST', path: CM, body: '[1,2,3]', status: 400, reason: 'BadRequest' },
  { name: 'malformed YAML', method: 'POST', path: CM, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n', contentType: 'application/yaml', status: 400, reason: 'BadRequest' },
  { name: 'YAML alias bomb', method: 'POST', path: CM, body: aliasBomb, contentType: 'application/yaml', status: 400, reason: 'BadRequest' },
  { name: 'deeply nested JSON', method: 'POST', path: CM, body: deep(5000), status: 400, reason: 'BadRequest', message: /nested deeper/ },
  // A million levels (3 MiB) would overflow the YAML library's recursion and take it seconds: refused before it composes.
  { name: 'YAML nested a million levels', method: 'POST', path: CM, body: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${'['.repeat(1_000_000)}`, contentType: 'application/yaml', status: 400, reason: 'BadRequest', message: /^the request body is nested deeper than the maximum depth of 100$/ },
  { name: 'YAML sequences nested a million levels in block style', method: 'POST', path: CM, body: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  ${'- '.repeat(1_000_000)}x\n`, contentType: 'application/yaml', status: 400, reason: 'BadRequest', message: /^the request body is nested deeper than the maximum depth of 100$/ },
  { name: 'body over 3 MiB', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024) } }), status: 413, reason: 'RequestEntityTooLarge' },
  { name: 'apiVersion not matching the URL', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest', message: /API version in the data \(apps\/v1\) does not match/ },
  { name: 'kind not matching the URL', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest' },
  { name: 'namespace in body not matching the URL', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'kube-system' } }), status: 400, reason: 'BadRequest', message: /does not match the namespace sent on the request/ },
  { name: 'unknown field under fieldValidation=Strict', method: 'POST', path: CM + '?fieldValidation=Strict', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, bogus: 1 }), status: 400, reason: 'BadRequest', message: /strict decoding error: unknown field "bogus"/ },
  { name: 'invalid fieldValidation value', method: 'POST', path: CM + '?fieldValidation=Loose', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), status: 400, reason: 'BadRequest' },
  { name: 'name with a slash in the URL', method: 'GET', path: CM + '/a%2Fb', status: 404, reason: 'NotFound' },
  // Refused by the router before the pipeline (fastify's FST_ERR_BAD_URL): still a Status.
  { name: 'malformed percent-escape in the URL', method: 'GET', path: CM + '/a%zz', status: 400, reason: 'BadRequest', message: /invalid URL escape "%zz"/ },
  { name: 'name of 300 characters in the URL', method: 'GET', path: CM + '/' + 'a'.repeat(300), status: 404, reason: 'NotFound' },
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
  // Finding 3: every decoder has the same nesting bound, embedded JSON included.
  { name: 'protobuf with 2,000-deep managedFields (FieldsV1 bytes)', method: 'POST', path: CM, body: protobufDeepFieldsV1(2000), contentType: 'application/vnd.kubernetes.protobuf', status: 400, reason: 'BadRequest', message: /nest/ },
  { name: 'JSON with 2,000-deep managedFields', method: 'POST', path: CM, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j-deep', managedFields: [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: JSON.parse('{"f:x":'.repeat(2000) + '{}' + '}'.repeat(2000)) }] } }), status: 400, reason: 'BadRequest', message: /nested deeper/ },
  { name: 'JSON patch that deepens the object past the bound', method: 'PATCH', path: CM + '/keep', body: deepeningJsonPatch(), contentType: 'application/json-patch+json', status: 400, reason: 'BadRequest', message: /nested deeper/ },
  // Finding 5: aliases count at their expanded size; stored objects are bounded like etcd's requests.
  { name: 'YAML aliases expanding past 3 MiB', method: 'POST', path: SA, body: yamlAliases('amplified', 1024 * 1024, 3), contentType: 'application/yaml', status: 413, reason: 'RequestEntityTooLarge', message: /^Request entity too large: limit is 3145728$/ },
  { name: 'YAML aliases storing over 1.5 MiB', method: 'POST', path: SA, body: yamlAliases('aliased-big', 600 * 1024, 2), contentType: 'application/yaml', status: 500, reason: 'InternalError', message: /^etcdserver: request is too large$/ },
  { name: 'object over 1.5 MiB', method: 'POST', path: EV, body: JSON.stringify(event('big-ev', BIG)), status: 500, reason: 'InternalError', message: /^etcdserver: request is too large$/ },
  { name: 'update growing the object over 1.5 MiB', method: 'PUT', path: EV + '/keep-ev', body: JSON.stringify(event('keep-ev', BIG)), status: 500, reason: 'InternalError', message: /^etcdserver: request is too large$/ },
  { name: 'merge patch growing the object over 1.5 MiB', method: 'PATCH', path: EV + '/keep-ev', body: JSON.stringify({ message: BIG }), contentType: 'application/merge-patch+json', status: 500, reason: 'InternalError', message: /^etcdserver: request is too large$/ },
  { name: 'strategic merge patch growing the object over 1.5 MiB', method: 'PATCH', path: EV + '/keep-ev', body: JSON.stringify({ message: BIG }), contentType: 'application/strategic-merge-patch+json', status: 500, reason: 'InternalError', message: /^etcdserver: request is too large$/ },
  { name: 'JSON patch growing the object over 1.5 MiB', method: 'PATCH', path: EV + '/keep-ev', body: JSON.stringify([{ op: 'replace', path: '/message', value: BIG }]), contentType: 'application/json-patch+json', status: 500, reason: 'InternalError', message: /^etcdserver: request is too large$/ },
  { name: 'server-side apply over 1.5 MiB', method: 'PATCH', path: EV + '/keep-ev?fieldManager=big&force=true', body: JSON.stringify(event('keep-ev', BIG)), contentType: 'application/apply-patch+yaml', status: 500, reason: 'InternalError', message: /^etcdserver: request is too large$/ },
  { name: 'chunked merge patch over 3 MiB', method: 'PATCH', path: CM + '/keep', body: JSON.stringify({ data: { b: 'x'.repeat(3 * 1024 * 1024) } }), contentType: 'application/merge-patch+json', chunked: true, status: 413, reason: 'RequestEntityTooLarge' },
  { name: 'chunked YAML create over 3 MiB', method: 'POST', path: CM, body: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: chunky}\ndata: {a: "${'x'.repeat(3 * 1024 * 1024)}"}\n`, contentType: 'application/yaml', chunked: true, status: 413, reason: 'RequestEntityTooLarge' },
];

/** A request whose body goes out in 64 KiB chunks without a Content-Length. */
function chunkedRequest(method: string, path: string, body: string | Buffer, contentType: string): Promise<{ status: number; text: string; body: any }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: c.admin.base.hostname, port: c.admin.base.port, path, method, agent: c.admin.agent, servername: 'localhost', headers: { 'content-type': contentType, accept: 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, body: parsed });
      });
    });
    r.on('error', reject);
    const buf = Buffer.from(body);
    for (let i = 0; i < buf.length; i += 64 * 1024) r.write(buf.subarray(i, i + 64 * 1024));
    r.end();
  });
}

for (const tc of cases) {
  test(`bad input: ${tc.name} → ${tc.status} ${tc.reason}, nothing stored`, async () => {
    const before = c.cp.store.currentRevision();
    const r = tc.chunked
      ? await chunkedRequest(tc.method, tc.path, tc.body ?? '', tc.contentType ?? 'application/json')
      : await c.admin.req(tc.method, tc.path, { body: tc.body, contentType: tc.contentType });
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
