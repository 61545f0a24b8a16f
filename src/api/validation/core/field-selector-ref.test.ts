import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../field-errors.ts';
import { validatePod } from './pod.ts';

const pod = (env: unknown[], items: unknown[] = []) => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: {
    containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', env }],
    volumes: items.length ? [{ name: 'd', downwardAPI: { items } }] : [],
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
  },
});
const fieldRef = (fieldPath: string, apiVersion = 'v1') => [{ name: 'X', valueFrom: { fieldRef: { apiVersion, fieldPath } } }];
const errs = (p: unknown) => validatePod(p as any).map(errorString).filter((e) => /fieldRef/.test(e));

test("env fieldRef.fieldPath validated as upstream's validateObjectFieldSelector (supported set, conversion errors, subscripts)", () => {
  for (const ok of ['metadata.name', 'status.podIPs', 'status.hostIPs', 'spec.serviceAccountName', "metadata.labels['app']", "metadata.annotations['a.b/C']", 'spec.host']) {
    assert.deepEqual(errs(pod(fieldRef(ok))), [], ok);
  }
  const at = 'spec.containers[0].env[0].valueFrom.fieldRef';
  assert.deepEqual(errs(pod(fieldRef('status.phase'))), [
    `${at}.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`,
  ]);
  assert.deepEqual(errs(pod(fieldRef('metadata.labels'))).map((e) => e.split(': ')[0]), [`${at}.fieldPath`]);
  assert.deepEqual(errs(pod(fieldRef('spec.containers'))), [`${at}.fieldPath: Invalid value: "spec.containers": error converting fieldPath: field label not supported: spec.containers`]);
  assert.deepEqual(errs(pod(fieldRef("spec.nodeName['x']"))), [`${at}.fieldPath: Invalid value: "spec.nodeName['x']": error converting fieldPath: field label does not support subscript: spec.nodeName['x']`]);
  assert.deepEqual(errs(pod(fieldRef('metadata.name', 'v2'))), [`${at}.fieldPath: Invalid value: "metadata.name": error converting fieldPath: unsupported pod version: v2`]);
  assert.equal(errs(pod(fieldRef("metadata.labels['bad key']"))).length, 1);
  assert.match(errs(pod(fieldRef("metadata.labels['bad key']")))[0]!, new RegExp(`^${at.replace(/[.[\]]/g, '\\$&')}: Invalid value: "bad key": name part must consist of`));
});

test('downwardAPI volume fieldRef validated with the volume set (labels and annotations whole, no status)', () => {
  const item = (fieldPath: string) => [{ path: 'f', fieldRef: { apiVersion: 'v1', fieldPath } }];
  assert.deepEqual(errs(pod([], item('metadata.labels'))), []);
  assert.deepEqual(errs(pod([], item("metadata.annotations['x']"))), []);
  assert.deepEqual(errs(pod([], item('status.podIP'))), [
    'spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: "status.podIP": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
  ]);
});
