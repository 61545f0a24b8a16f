/**
 * A Service update runs upstream's steps in upstream's order (kubernetes 1.33 genericregistry
 * Store.Update: mutating admission inside UpdatedObject, then the Service's BeginUpdate
 * (patchAllocatedValues, normalizeClusterIPs), then BeforeUpdate's PrepareForUpdate
 * (dropTypeDependentFields), then validation). A client that sends clusterIP but not clusterIPs
 * (an old client, or a manifest that pins the address) and changes the type to ExternalName has
 * clusterIPs filled from the stored ones by normalizeClusterIPs, which dropTypeDependentFields then
 * clears with clusterIP, since both are as stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();
const SVCS = '/api/v1/namespaces/default/services';
const manifest = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });

test('PUT to ExternalName with the stored clusterIP and no clusterIPs: normalized, then dropped (200); the address is free again', async () => {
  const made = await c.admin.post(SVCS, manifest('old-client', { selector: { app: 'a' }, ports: [{ port: 80 }] }));
  assert.equal(made.status, 201, made.text);
  const ip = made.body.spec.clusterIP as string;
  const r = await c.admin.put(`${SVCS}/old-client`, manifest('old-client', { type: 'ExternalName', externalName: 'db.example.com', clusterIP: ip, ports: [{ port: 80 }] }));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.body.spec.type, r.body.spec.clusterIP, r.body.spec.clusterIPs], ['ExternalName', undefined, undefined]);
  const reuse = await c.admin.post(SVCS, manifest('reuse', { clusterIP: ip, ports: [{ port: 80 }] }));
  assert.equal(reuse.status, 201, reuse.text);
});
