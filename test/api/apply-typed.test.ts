/**
 * Server-side apply checks the JSON type of every field as upstream's typed conversion does: the
 * applied configuration (structured-merge-diff's ObjectToTyped) and the merged result (conversion
 * to the Go type). Upstream answers both with a 500 carrying the converter's message.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const APPLY = 'application/apply-patch+yaml';
const PODS = '/api/v1/namespaces/default/pods';
const pod = (name: string, spec: unknown, metadata: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...metadata }, spec });
const spec = { containers: [{ name: 'c', image: 'nginx' }] };
const deployment = (name: string, replicas: unknown) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
  },
});

function assertInternal(r: { status: number; body: any; text: string }, message: string): void {
  assert.equal(r.status, 500, r.text);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.message, message);
}

describe('server-side apply with a wrongly typed field', () => {
  test('a create by apply is refused with the typed-patch message and stores nothing', async () => {
    const labels = await c.admin.patch(`${PODS}/ta-labels?fieldManager=m`, pod('ta-labels', spec, { labels: 'invalid' }), APPLY);
    assertInternal(labels, 'failed to create typed patch object (/ta-labels; /v1, Kind=Pod): .metadata.labels: expected map, got &{invalid}');
    assert.equal((await c.admin.get(`${PODS}/ta-labels`)).status, 404);

    const containers = await c.admin.patch(`${PODS}/ta-containers?fieldManager=m`, pod('ta-containers', { containers: 'oops' }), APPLY);
    assertInternal(containers, 'failed to create typed patch object (/ta-containers; /v1, Kind=Pod): .spec.containers: expected list, got &{oops}');
    assert.equal((await c.admin.get(`${PODS}/ta-containers`)).status, 404);
  });

  test('every mismatch is reported, under "errors:", with list keys in the path', async () => {
    const body = pod('ta-many', { containers: [{ name: 'c', image: 5, args: ['ok', true] }], hostNetwork: 'yes' }, { namespace: 'default', labels: 'x' });
    const r = await c.admin.patch(`${PODS}/ta-many?fieldManager=m`, body, APPLY);
    assertInternal(
      r,
      'failed to create typed patch object (default/ta-many; /v1, Kind=Pod): errors:\n' +
        '  .metadata.labels: expected map, got &{x}\n' +
        '  .spec.containers[name="c"].image: expected string, got &value.valueUnstructured{Value:5}\n' +
        '  .spec.containers[name="c"].args[1]: expected string, got &value.valueUnstructured{Value:true}\n' +
        '  .spec.hostNetwork: expected boolean, got &{yes}',
    );
  });

  test('numbers, and an apply over an existing object leaves it unchanged', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/ta-dep';
    const ok = await c.admin.patch(`${path}?fieldManager=m`, deployment('ta-dep', 1), APPLY);
    assert.equal(ok.status, 201, ok.text);
    const str = await c.admin.patch(`${path}?fieldManager=m`, deployment('ta-dep', '3'), APPLY);
    assertInternal(str, 'failed to create typed patch object (/ta-dep; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string');
    const list = await c.admin.patch(`${path}?fieldManager=m`, deployment('ta-dep', [3]), APPLY);
    assertInternal(list, 'failed to create typed patch object (/ta-dep; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got []interface {}');
    const got = await c.admin.get(path);
    assert.equal(got.body.spec.replicas, 1);
    assert.equal(got.body.metadata.resourceVersion, ok.body.metadata.resourceVersion);
  });

  test('a merged object that does not convert to the Go type is refused with the conversion message', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/ta-frac';
    const r = await c.admin.patch(`${path}?fieldManager=m`, deployment('ta-frac', 1.5), APPLY);
    assertInternal(
      r,
      'failed to convert new object (/ta-frac; apps/v1, Kind=Deployment) to proper version: unable to convert unstructured object to apps/v1, Kind=Deployment: cannot convert float64 to int32',
    );
    assert.equal((await c.admin.get(path)).status, 404);
  });

  test('a well-typed apply still works (untyped scalars: IntOrString, Quantity)', async () => {
    const body = pod('ta-good', { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '250m', memory: 64 } } }] });
    const r = await c.admin.patch(`${PODS}/ta-good?fieldManager=m`, body, APPLY);
    assert.equal(r.status, 201, r.text);
  });
});
