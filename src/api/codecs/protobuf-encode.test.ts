import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { ApiError } from '../errors.ts';
import { loadSchema } from '../schema/schema.ts';
import { decodeProtobufObject } from './protobuf.ts';
import { encodeProtobufObject, encodesAsProtobuf, protobufWatchFrame } from './protobuf-encode.ts';

const schema = loadSchema();

const pod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {
    name: 'web',
    namespace: 'default',
    uid: '0b6a3f4c-1111-2222-3333-444455556666',
    resourceVersion: '42',
    creationTimestamp: '2026-01-02T03:04:05Z',
    labels: { b: '2', a: '1' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u-1', controller: true, blockOwnerDeletion: true }],
    managedFields: [
      { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2026-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } } },
    ],
  },
  spec: {
    volumes: [
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420, items: [{ key: 'a', path: 'a.txt' }] } },
      { name: 'host', hostPath: { path: '/tmp', type: 'Directory' } },
    ],
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        command: ['nginx', '-g', 'daemon off;'],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
        livenessProbe: { httpGet: { path: '/', port: 'http', scheme: 'HTTP' }, periodSeconds: 10 },
        readinessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 0 },
        securityContext: { allowPrivilegeEscalation: false, runAsUser: 1000, capabilities: { drop: ['ALL'] } },
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
  },
  status: { phase: 'Running', podIP: '10.0.0.5', startTime: '2026-01-02T03:04:06Z' },
};

const others: Record<string, unknown>[] = [
  { kind: 'Service', apiVersion: 'v1', metadata: { name: 's', namespace: 'default' }, spec: { ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }, { port: 443, targetPort: 8443, protocol: 'TCP' }], selector: { app: 'web' }, type: 'ClusterIP' }, status: { loadBalancer: {} } },
  { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', namespace: 'default' }, data: { x: 'y' }, binaryData: { bin: Buffer.from([0, 1, 2, 255]).toString('base64') } },
  { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'd', namespace: 'default', generation: 3 }, spec: { replicas: 0, selector: { matchLabels: { app: 'd' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
  { kind: 'CertificateSigningRequest', apiVersion: 'certificates.k8s.io/v1', metadata: { name: 'csr' }, spec: { request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----').toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', username: 'alice', groups: ['dev', 'system:authenticated'], extra: { scopes: ['a', 'b'] }, usages: ['client auth'] } },
  { kind: 'Event', apiVersion: 'events.k8s.io/v1', metadata: { name: 'e', namespace: 'default' }, eventTime: '2026-01-02T03:04:05.123456Z', reportingController: 'x', reportingInstance: 'y', action: 'A', reason: 'R', type: 'Normal' },
  { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '99', continue: 'abc', remainingItemCount: 5 }, items: [{ metadata: { name: 'a', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }] } }] },
];
const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404 };

describe('protobuf responses: encode', () => {
  test('our decoder reads back exactly the JSON view that was encoded', () => {
    for (const obj of [pod, ...others]) {
      const body = encodeProtobufObject(schema, obj);
      assert.deepEqual([...body.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00], `${obj.kind}: magic`);
      assert.deepEqual(sortKeys(decodeProtobufObject(schema, body)), sortKeys(obj), `${obj.kind} round trip`);
    }
  });

  describe('an independent decoder (protobufjs over the upstream .proto files) reads it', () => {
    const root = new protobuf.Root();
    before(async () => {
      const base = new URL('../../../../shared/k8s-api/proto/', import.meta.url).pathname;
      root.resolvePath = (_origin, target) => base + target;
      await root.load(['k8s.io/apimachinery/pkg/runtime/generated.proto', 'k8s.io/api/core/v1/generated.proto', 'k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto'], { keepCase: true });
    });

    test('a Pod: envelope, type meta, and the fields upstream names', () => {
      const body = encodeProtobufObject(schema, pod);
      const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(body.subarray(4)) as any;
      assert.equal(unknown.typeMeta.apiVersion, 'v1');
      assert.equal(unknown.typeMeta.kind, 'Pod');
      const p = root.lookupType('k8s.io.api.core.v1.Pod').toObject(root.lookupType('k8s.io.api.core.v1.Pod').decode(unknown.raw), { longs: String }) as any;
      assert.equal(p.metadata.name, 'web');
      assert.deepEqual(p.metadata.labels, { a: '1', b: '2' });
      assert.equal(p.metadata.creationTimestamp.seconds, String(Date.parse('2026-01-02T03:04:05Z') / 1000));
      assert.equal(p.spec.volumes[0].volumeSource.configMap.defaultMode, 420);
      assert.equal(p.spec.volumes[1].volumeSource.hostPath.path, '/tmp');
      assert.equal(p.spec.containers[0].livenessProbe.handler.httpGet.port.strVal, 'http');
      assert.equal(p.spec.containers[0].readinessProbe.handler.tcpSocket.port.intVal, 80);
      assert.equal(p.spec.containers[0].resources.limits.memory.string, '128Mi');
      assert.equal(p.spec.containers[0].securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(JSON.parse(Buffer.from(p.metadata.managedFields[0].fieldsV1.Raw).toString()), pod.metadata.managedFields[0]!.fieldsV1);
      assert.equal(p.status.phase, 'Running');
    });

    test('a Status (errors are answered in protobuf too)', () => {
      const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(encodeProtobufObject(schema, status).subarray(4)) as any;
      assert.deepEqual({ ...unknown.typeMeta }, { apiVersion: 'v1', kind: 'Status' });
      const s = root.lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.Status').decode(unknown.raw) as any;
      assert.equal(s.code, 404);
      assert.equal(s.reason, 'NotFound');
      assert.equal(s.message, 'pods "x" not found');
      assert.equal(s.details.name, 'x');
    });

    test('a watch frame: 4-byte big-endian length, then a WatchEvent whose object is a whole protobuf body', () => {
      const body = encodeProtobufObject(schema, pod);
      const frame = protobufWatchFrame('MODIFIED', body);
      const len = new DataView(frame.buffer, frame.byteOffset).getUint32(0, false);
      assert.equal(len, frame.length - 4);
      const ev = root.lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent').decode(frame.subarray(4)) as any;
      assert.equal(ev.type, 'MODIFIED');
      assert.deepEqual(Buffer.from(ev.object.raw), Buffer.from(body));
    });
  });

  test('kinds without a protobuf type are reported as such (custom resources, Tables)', () => {
    assert.equal(encodesAsProtobuf(schema, pod), true);
    assert.equal(encodesAsProtobuf(schema, { apiVersion: 'example.com/v1', kind: 'Widget' }), false);
    assert.equal(encodesAsProtobuf(schema, { apiVersion: 'meta.k8s.io/v1', kind: 'Table' }), false);
  });

  test('a stored value of the wrong type is an internal error naming the field, not a crash', () => {
    const bad = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', labels: 'invalid' } };
    assert.throws(() => encodeProtobufObject(schema, bad), (e: unknown) => e instanceof ApiError && e.code === 500 && /metadata\.labels: expected a map/.test(e.message));
  });
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
}
