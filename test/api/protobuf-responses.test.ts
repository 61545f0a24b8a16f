/**
 * Protobuf responses (Accept: application/vnd.kubernetes.protobuf), as client-go controllers ask
 * for them: objects, lists, Status errors and watch streams, each read back by our own decoder and
 * compared with the JSON answer for the same object.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { loadSchema } from '../../src/api/schema/schema.ts';
import { decodeProtobufObject } from '../../src/api/codecs/protobuf.ts';

const PB = 'application/vnd.kubernetes.protobuf';
const CLIENT_GO = `${PB}, application/json`;
const schema = loadSchema();

describe('protobuf responses', () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster();
    const cm = await c.admin.req('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pb', labels: { a: 'b' } }, data: { k: 'v' } } });
    assert.equal(cm.status, 201, cm.text);
    const dep = await c.admin.req('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] } } } },
    });
    assert.equal(dep.status, 201, dep.text);
  });
  after(() => c.close());

  const decode = (raw: Buffer) => decodeProtobufObject(schema, raw);

  test('GET of an object: protobuf body that decodes to the JSON answer', async () => {
    for (const path of ['/api/v1/namespaces/default/configmaps/pb', '/apis/apps/v1/namespaces/default/deployments/web']) {
      const pb = await c.admin.req('GET', path, { headers: { accept: CLIENT_GO } });
      assert.equal(pb.status, 200);
      assert.equal(pb.headers['content-type'], PB);
      assert.deepEqual([...pb.raw.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
      const json = await c.admin.req('GET', path);
      assert.match(String(json.headers['content-type']), /^application\/json\b/);
      assert.deepEqual(decode(pb.raw), normalize(json.body), path);
    }
  });

  test('a list is the List kind with its items and list metadata', async () => {
    const pb = await c.admin.req('GET', '/api/v1/namespaces/default/configmaps', { headers: { accept: PB } });
    assert.equal(pb.status, 200);
    assert.equal(pb.headers['content-type'], PB);
    const list = decode(pb.raw) as any;
    assert.equal(list.kind, 'ConfigMapList');
    assert.ok(Number(list.metadata.resourceVersion) > 0);
    assert.ok(list.items.some((i: any) => i.metadata.name === 'pb' && i.data.k === 'v'));
  });

  test('a create answers in protobuf too', async () => {
    const r = await c.admin.req('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pb2' } }, headers: { accept: CLIENT_GO } });
    assert.equal(r.status, 201);
    assert.equal(r.headers['content-type'], PB);
    assert.equal((decode(r.raw) as any).metadata.name, 'pb2');
  });

  test('errors are a protobuf Status', async () => {
    const r = await c.admin.req('GET', '/api/v1/namespaces/default/configmaps/missing', { headers: { accept: CLIENT_GO } });
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], PB);
    // The Status is meta/v1: read the envelope's type meta and check the message bytes are there.
    assert.deepEqual([...r.raw.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
    assert.ok(r.raw.includes(Buffer.from('configmaps "missing" not found')));
    assert.ok(r.raw.includes(Buffer.from('NotFound')));
  });

  test('JSON stays the answer when the client prefers it, and YAML is served', async () => {
    const r = await c.admin.req('GET', '/api/v1/namespaces/default/configmaps/pb', { headers: { accept: `application/json, ${PB}` } });
    assert.match(String(r.headers['content-type']), /^application\/json\b/);
    const y = await c.admin.req('GET', '/api/v1/namespaces/default/configmaps/pb', { headers: { accept: 'application/yaml' } });
    assert.equal(y.status, 200);
    assert.match(String(y.headers['content-type']), /^application\/yaml\b/);
    assert.match(y.text, /^apiVersion: v1\ndata:\n {2}k: v\nkind: ConfigMap\n/);
  });

  test('nothing acceptable is 406 before anything is stored; custom resources fall back to JSON or 406', async () => {
    const before = await c.admin.req('GET', '/api/v1/namespaces/default/configmaps');
    const r = await c.admin.req('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'never' } }, headers: { accept: 'text/plain' } });
    assert.equal(r.status, 406);
    assert.equal(r.body.reason, 'NotAcceptable');
    assert.equal(r.body.message, 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
    const after = await c.admin.req('GET', '/api/v1/namespaces/default/configmaps/never');
    assert.equal(after.status, 404);
    assert.equal((await c.admin.req('GET', '/api/v1/namespaces/default/configmaps')).body.items.length, before.body.items.length);

    const crd = await c.admin.req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' }, spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] } },
    });
    assert.equal(crd.status, 201, crd.text);
    let list;
    for (let i = 0; i < 100; i++) {
      list = await c.admin.req('GET', '/apis/example.com/v1/namespaces/default/widgets', { headers: { accept: CLIENT_GO } });
      if (list.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(list!.status, 200);
    assert.match(String(list!.headers['content-type']), /^application\/json\b/);
    const only = await c.admin.req('GET', '/apis/example.com/v1/namespaces/default/widgets', { headers: { accept: PB } });
    assert.equal(only.status, 406);
  });

  test('a watch stream in protobuf: length-prefixed WatchEvents whose objects decode', async () => {
    const list = await c.admin.req('GET', '/api/v1/namespaces/default/configmaps');
    const rv = list.body.metadata.resourceVersion;
    const frames: Buffer[] = [];
    const id = c.admin.agent.options;
    const done = new Promise<{ contentType: string | undefined }>((resolve, reject) => {
      const r = request(
        { host: c.admin.base.hostname, port: c.admin.base.port, path: `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}&timeoutSeconds=5`, method: 'GET', headers: { accept: CLIENT_GO }, ca: id.ca, cert: id.cert, key: id.key, servername: 'localhost' },
        (res) => {
          let buf = Buffer.alloc(0);
          res.on('data', (d: Buffer) => {
            buf = Buffer.concat([buf, d]);
            while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
              const n = buf.readUInt32BE(0);
              frames.push(buf.subarray(4, 4 + n));
              buf = buf.subarray(4 + n);
              if (frames.length === 2) {
                r.destroy();
                resolve({ contentType: res.headers['content-type'] });
              }
            }
          });
          res.on('end', () => resolve({ contentType: res.headers['content-type'] }));
        },
      );
      r.on('error', (e) => (frames.length >= 2 ? undefined : reject(e)));
      r.end();
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await c.admin.req('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1' } } })).status, 201);
    assert.equal((await c.admin.req('DELETE', '/api/v1/namespaces/default/configmaps/w1')).status, 200);
    const { contentType } = await done;
    assert.equal(contentType, `${PB};stream=watch`);
    assert.equal(frames.length, 2);
    const events = frames.map(readWatchEvent);
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'DELETED']);
    assert.deepEqual(events.map((e) => (decode(e.object) as any).metadata.name), ['w1', 'w1']);
    assert.equal((decode(events[0]!.object) as any).kind, 'ConfigMap');
  });
});

/** meta/v1 WatchEvent {1 type, 2 RawExtension {1 raw}}, read by hand (two length-delimited fields). */
function readWatchEvent(b: Buffer): { type: string; object: Buffer } {
  const fields = new Map<number, Buffer>();
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let s = 0; ; s += 7) {
      const x = b[i++]!;
      v += (x & 0x7f) * 2 ** s;
      if (x < 0x80) return v;
    }
  };
  while (i < b.length) {
    const key = varint();
    const len = varint();
    fields.set(key >> 3, b.subarray(i, i + len));
    i += len;
  }
  const ext = fields.get(2)!;
  assert.equal(ext[0], (1 << 3) | 2);
  i = 0;
  const inner = (() => {
    const bb = ext;
    let j = 1;
    let len = 0;
    for (let s = 0; ; s += 7) {
      const x = bb[j++]!;
      len += (x & 0x7f) * 2 ** s;
      if (x < 0x80) break;
    }
    return bb.subarray(j, j + len);
  })();
  return { type: fields.get(1)!.toString('utf8'), object: inner };
}

/** The JSON view as our decoder gives it back: the same object (protobuf has no notion of key order). */
function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}
