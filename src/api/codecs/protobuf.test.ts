import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { ApiError } from '../errors.ts';
import { loadSchema } from '../schema/schema.ts';
import { decodeProtobufObject, MAX_DEPTH } from './protobuf.ts';
import { formatTime } from './protobuf-time.ts';
import { formatGoDuration as formatDuration } from '../../util/duration.ts';

// Hand-written encoders using the upstream field numbers (from the .proto files), independent of
// the generated schema the decoder reads.
type Part = (w: protobuf.Writer) => void;
const LEN = 2;
const msg = (n: number, ...parts: Part[]): Part => (w) => {
  w.uint32((n << 3) | LEN).fork();
  for (const p of parts) p(w);
  w.ldelim();
};
const str = (n: number, s: string): Part => (w) => void w.uint32((n << 3) | LEN).string(s);
const raw = (n: number, b: Uint8Array): Part => (w) => void w.uint32((n << 3) | LEN).bytes(b);
const i32 = (n: number, v: number): Part => (w) => void w.uint32(n << 3).int32(v);
const i64 = (n: number, v: number): Part => (w) => void w.uint32(n << 3).int64(v);
const bool = (n: number, v: boolean): Part => (w) => void w.uint32(n << 3).bool(v);
const entry = (n: number, key: string, value: Part): Part => msg(n, str(1, key), value);

function encode(...parts: Part[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const p of parts) p(w);
  return w.finish();
}

function envelope(apiVersion: string, kind: string, object: Uint8Array, extra: Part[] = []): Uint8Array {
  const unknown = encode(msg(1, str(1, apiVersion), str(2, kind)), raw(2, object), ...extra);
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...unknown]);
}

const decode = (body: Uint8Array): Record<string, unknown> => decodeProtobufObject(loadSchema(), body);

// ObjectMeta as Go writes it: every non-pointer field present, zero or not.
const objectMeta = (n: number, name: string, ...more: Part[]): Part =>
  msg(n, str(1, name), str(2, ''), str(3, ''), str(4, ''), str(5, ''), str(6, ''), i64(7, 0), msg(8), ...more);

describe('decodeProtobufObject', () => {
  test('Namespace (kubectl create namespace)', () => {
    const ns = encode(objectMeta(1, 'team-a', entry(11, 'env', str(2, 'prod')), entry(11, 'tier', str(2, ''))), msg(2), msg(3, str(1, '')));
    assert.deepEqual(decode(envelope('v1', 'Namespace', ns)), {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'team-a', generation: 0, creationTimestamp: null, labels: { env: 'prod', tier: '' } },
      spec: {},
      status: {},
    });
  });

  test('Deployment with replicas, selector, strategy and a container port', () => {
    const container = msg(
      2,
      str(1, 'web'),
      str(2, 'nginx:1.27'),
      str(5, ''),
      msg(6, str(1, ''), i32(2, 0), i32(3, 80), str(4, 'TCP'), str(5, '')),
      msg(8),
      str(13, ''),
      bool(16, false),
    );
    const podSpec = msg(2, container);
    const template = msg(3, objectMeta(1, '', entry(11, 'app', str(2, 'web'))), podSpec);
    const strategy = msg(
      4,
      str(1, 'RollingUpdate'),
      msg(2, msg(1, i64(1, 1), str(3, '25%')), msg(2, i64(1, 0), i32(2, 2))),
    );
    const spec = msg(2, i32(1, 0), msg(2, entry(1, 'app', str(2, 'web'))), template, strategy, i32(5, 0));
    const body = envelope('apps/v1', 'Deployment', encode(objectMeta(1, 'web'), spec, msg(3)));
    assert.deepEqual(decode(body), {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', generation: 0, creationTimestamp: null },
      spec: {
        // replicas is a pointer upstream: its 0 must survive.
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { generation: 0, creationTimestamp: null, labels: { app: 'web' } },
          // Required `containers` is kept in Go struct order, after the optional empties are dropped.
          spec: {
            containers: [
              {
                name: 'web',
                image: 'nginx:1.27',
                ports: [{ hostPort: 0, containerPort: 80, protocol: 'TCP' }],
                resources: {},
                stdin: false,
              },
            ],
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 2 } },
        minReadySeconds: 0,
      },
      status: {},
    });
  });

  test('Pod: inline structs, quantities, times, probes, security context', () => {
    const container = msg(
      2,
      str(1, 'c'),
      msg(8, entry(1, 'cpu', msg(2, str(1, '250m'))), entry(2, 'memory', msg(2))),
      msg(10, msg(1, msg(2, str(1, '/healthz'), msg(2, i64(1, 1), str(3, 'http')))), i32(2, 5)),
      msg(15, bool(7, false), bool(5, true)),
    );
    const volume = msg(1, str(1, 'scratch'), msg(2, msg(2, str(1, ''), msg(2, str(1, '1Gi')))));
    const meta = objectMeta(1, 'p', msg(9, i64(1, 1704164645), i32(2, 999)));
    const body = envelope('v1', 'Pod', encode(meta, msg(2, volume, container, i64(4, 0), bool(11, true))));
    const pod = decode(body);
    assert.deepEqual(pod.metadata, {
      name: 'p',
      generation: 0,
      creationTimestamp: null,
      deletionTimestamp: '2024-01-02T03:04:05Z',
    });
    assert.deepEqual(pod.spec, {
      volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Gi' } }],
      containers: [
        {
          name: 'c',
          resources: { limits: { cpu: '250m' }, requests: { memory: '0' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5 },
          securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
        },
      ],
      terminationGracePeriodSeconds: 0,
      hostNetwork: true,
    });
  });

  test('Secret data bytes are base64, Lease MicroTime has microseconds', () => {
    const secret = decode(envelope('v1', 'Secret', encode(objectMeta(1, 's'), entry(2, 'k', raw(2, Buffer.from('hi\n'))), str(3, 'Opaque'))));
    assert.deepEqual(secret.data, { k: 'aGkK' });
    assert.equal(secret.type, 'Opaque');
    const lease = decode(
      envelope('coordination.k8s.io/v1', 'Lease', encode(objectMeta(1, 'l'), msg(2, msg(4, i64(1, 1704164645), i32(2, 123456789))))),
    );
    assert.deepEqual(lease.spec, { renewTime: '2024-01-02T03:04:05.123456Z' });
  });

  test('list wrappers (UserInfo.extra), RawExtension JSON and empty pointer strings', () => {
    const review = decode(
      envelope(
        'authentication.k8s.io/v1',
        'TokenReview',
        encode(msg(2), msg(3, bool(1, true), msg(2, str(1, 'alice'), str(3, 'dev'), entry(4, 'scopes', msg(2, str(1, 'a'), str(1, 'b')))))),
      ),
    );
    assert.deepEqual(review.status, { authenticated: true, user: { username: 'alice', groups: ['dev'], extra: { scopes: ['a', 'b'] } } });
    const rev = decode(envelope('apps/v1', 'ControllerRevision', encode(objectMeta(1, 'r'), msg(2, raw(1, Buffer.from('{"a":[1]}'))), i64(3, 7))));
    assert.deepEqual(rev.data, { a: [1] });
    assert.equal(rev.revision, 7);
    const pvc = decode(envelope('v1', 'PersistentVolumeClaim', encode(objectMeta(1, 'c'), msg(2, str(3, ''), str(5, '')))));
    assert.deepEqual(pvc.spec, { storageClassName: '' });
  });

  test('map keys like __proto__ stay data', () => {
    const ns = decode(envelope('v1', 'Namespace', encode(objectMeta(1, 'n', entry(11, '__proto__', str(2, 'x'))))));
    const labels = (ns.metadata as Record<string, unknown>).labels as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(labels), Object.prototype);
    assert.deepEqual(Object.keys(labels), ['__proto__']);
  });

  test('unknown field numbers are skipped', () => {
    const ns = decode(envelope('v1', 'Namespace', encode(objectMeta(1, 'n'), str(99, 'future'), i64(98, 1))));
    assert.deepEqual(Object.keys(ns), ['kind', 'apiVersion', 'metadata']);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['empty body', new Uint8Array(), /missing the "k8s/],
    ['JSON instead of protobuf', Buffer.from('{"kind":"Pod"}'), /missing the "k8s/],
    ['bad magic', Uint8Array.from([0x6b, 0x38, 0x74, 0x00, 0x0a, 0x00]), /missing the "k8s/],
    ['truncated varint', Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x80]), /unexpected EOF in varint/],
    ['overlong varint', Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x08, ...new Array(11).fill(0xff)]), /overflow/],
    ['length past the end', Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x05, 0x0a, 0x01]), /length exceeds/],
    ['huge length', Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]), /length exceeds/],
    ['field number 0', Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x02, 0x00]), /illegal field number/],
    ['group wire type', Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x0b]), /illegal wireType/],
    ['unknown kind', envelope('v1', 'Widget', new Uint8Array()), /no kind "Widget" is registered for version "v1"/],
    ['kind in the wrong group', envelope('apps/v1', 'Pod', new Uint8Array()), /no kind "Pod"/],
    ['missing kind', envelope('v1', '', new Uint8Array()), /'Kind' is missing/],
    ['bad apiVersion', envelope('a/b/c', 'Pod', new Uint8Array()), /unexpected GroupVersion/],
    ['content encoding', envelope('v1', 'Namespace', new Uint8Array(), [str(3, 'gzip')]), /content encoding/],
    ['wrong wire type for a string', envelope('v1', 'Namespace', encode(msg(1, i32(1, 5)))), /wrong wireType/],
    ['object truncated inside', envelope('v1', 'Namespace', Uint8Array.from([0x0a, 0x03, 0x0a, 0x05, 0x61])), /length exceeds/],
    ['bad RawExtension JSON', envelope('apps/v1', 'ControllerRevision', encode(msg(2, raw(1, Buffer.from('{nope'))))), /not valid JSON/],
    ['bad IntOrString type', envelope('apps/v1', 'Deployment', encode(msg(2, msg(4, str(1, 'R'), msg(2, msg(1, i64(1, 7))))))), /IntOrString/],
    ['time beyond year 9999', envelope('v1', 'Namespace', encode(msg(1, msg(9, i64(1, 253402300800))))), /year outside/],
  ];
  for (const [name, body, message] of bad) {
    test(`rejects ${name} with 400`, () => {
      assert.throws(
        () => decode(body),
        (err: unknown) => err instanceof ApiError && err.code === 400 && err.reason === 'BadRequest' && message.test(err.message),
      );
    });
  }

  test(`rejects nesting beyond ${MAX_DEPTH} levels (nested RawExtension envelopes)`, () => {
    let body = envelope('v1', 'Namespace', encode(objectMeta(1, 'leaf')));
    for (let i = 0; i < MAX_DEPTH; i++) body = envelope('apps/v1', 'ControllerRevision', encode(msg(2, raw(1, body))));
    assert.throws(() => decode(body), (err: unknown) => err instanceof ApiError && err.code === 400 && /nesting/.test(err.message));
  });

  test('a shallow nested envelope in a RawExtension decodes', () => {
    const inner = envelope('v1', 'Namespace', encode(objectMeta(1, 'leaf')));
    const rev = decode(envelope('apps/v1', 'ControllerRevision', encode(msg(2, raw(1, inner)))));
    assert.deepEqual(rev.data, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'leaf', generation: 0, creationTimestamp: null } });
  });

  test('random garbage never escapes as anything but a 400', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
    const pod = envelope('v1', 'Pod', encode(objectMeta(1, 'p'), msg(2, msg(2, str(1, 'c')))));
    for (let i = 0; i < 300; i++) {
      const body = Uint8Array.from(pod);
      for (let j = 0; j < 3; j++) body[4 + (next() % (body.length - 4))] = next();
      try {
        decode(body);
      } catch (err) {
        assert.ok(err instanceof ApiError && err.code === 400, String(err));
      }
    }
  });
});

describe('formatTime / formatDuration', () => {
  const times: [bigint, bigint, 0 | 6, string | null][] = [
    [0n, 0n, 0, '1970-01-01T00:00:00Z'],
    [1704164645n, 0n, 0, '2024-01-02T03:04:05Z'],
    [1704164645n, 1000n, 6, '2024-01-02T03:04:05.000001Z'],
    [1704164645n, 999n, 6, '2024-01-02T03:04:05.000000Z'],
    [-1n, 500_000_000n, 6, '1969-12-31T23:59:59.500000Z'],
    [-62135596800n, 0n, 0, null],
  ];
  for (const [s, n, digits, want] of times) {
    test(`time ${s}s ${n}ns -> ${want}`, () => assert.equal(formatTime(s, n, digits), want));
  }
  const durations: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [1500n, '1.5µs'],
    [2_000_000n, '2ms'],
    [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [-61_000_000_000n, '-1m1s'],
  ];
  for (const [ns, want] of durations) {
    test(`duration ${ns} -> ${want}`, () => assert.equal(formatDuration(ns), want));
  }
});

describe('embedded JSON is held to the nesting bound', () => {
  const deepJson = (n: number) => Buffer.from('{"f:x":'.repeat(n) + '{}' + '}'.repeat(n));
  const withFieldsV1 = (json: Uint8Array) => {
    const entry = msg(17, str(1, 'm'), str(2, 'Update'), str(3, 'v1'), str(6, 'FieldsV1'), msg(7, raw(1, json)));
    return envelope('v1', 'ConfigMap', encode(msg(1, str(1, 'cm'), entry)));
  };
  test('FieldsV1 nested 2,000 deep is a 400, not a stored object', () => {
    assert.throws(() => decode(withFieldsV1(deepJson(2000))), (e: unknown) => e instanceof ApiError && e.code === 400 && /nest/.test(e.message));
  });
  test('FieldsV1 within the bound decodes', () => {
    const obj = decode(withFieldsV1(deepJson(20))) as { metadata: { managedFields: Array<{ fieldsV1: unknown }> } };
    assert.deepEqual(obj.metadata.managedFields[0]!.fieldsV1, JSON.parse(deepJson(20).toString()));
  });
  test('FieldsV1 just past the bound, counted from the object root, is refused', () => {
    // root, metadata, managedFields, entry, fieldsV1: the embedded JSON starts at depth 5.
    assert.doesNotThrow(() => decode(withFieldsV1(deepJson(MAX_DEPTH - 5))));
    assert.throws(() => decode(withFieldsV1(deepJson(MAX_DEPTH - 3))), ApiError);
  });
});
