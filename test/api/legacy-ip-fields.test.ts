/**
 * IP fields upstream validates with IsValidIPForLegacyField, StrictIPCIDRValidation being off in
 * 1.33: ParseIPSloppy's forms are accepted (IPv4 octets with leading zeros, read as decimal;
 * IPv4-mapped IPv6), zones are not. Stored as written; whatever acts on them uses the canonical
 * address (the ClusterIP allocator and its repair here; the node's proxy in test/agent/services).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';
import { ClusterIPRepair } from '../../src/server/rest/cluster-ip-repair.ts';
import { objectKey } from '../../src/api/registry/resource-def.ts';

const c = clusterPerFile();

const NS = '/api/v1/namespaces/default';
const svc = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });

test('a ClusterIP with leading zeros is accepted, stored as written, and allocated as its canonical address', async () => {
  const r = await c.admin.post(`${NS}/services`, svc('zeros', { clusterIP: '010.096.000.020', externalIPs: ['192.168.001.010'] }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.spec.clusterIP, '010.096.000.020');
  assert.deepEqual(r.body.spec.clusterIPs, ['010.096.000.020']);
  const ipa = await c.admin.get('/apis/networking.k8s.io/v1/ipaddresses/10.96.0.20');
  assert.equal(ipa.status, 200, ipa.text);
  assert.equal(ipa.body.spec.parentRef.name, 'zeros');
  // The same address written canonically is taken.
  const twin = await c.admin.post(`${NS}/services`, svc('twin', { clusterIP: '10.96.0.20' }));
  assert.equal(twin.status, 422, twin.text);
  assert.match(twin.body.message, /failed to allocate IP 10\.96\.0\.20: provided IP is already allocated/);
  // Repair reads the Service's address as the allocator does: recorded, nothing to make again
  // (the first round may record the kubernetes Service's own address).
  await new ClusterIPRepair(c.cp.server.ctx, 'test').runOnce();
  const repair = new ClusterIPRepair(c.cp.server.ctx, 'test');
  await repair.runOnce();
  assert.equal(repair.repaired, 0);
  assert.equal((await c.admin.get('/apis/networking.k8s.io/v1/ipaddresses/10.96.0.20')).body.spec.parentRef.name, 'zeros');
  const events = await c.admin.get(`${NS}/events`);
  assert.deepEqual(events.body.items.filter((e: any) => e.involvedObject?.name === 'zeros' || e.regarding?.name === 'zeros').map((e: any) => e.reason), []);
  assert.equal((await c.admin.delete(`${NS}/services/zeros`)).status, 200);
  const gone = await c.admin.get('/apis/networking.k8s.io/v1/ipaddresses/10.96.0.20');
  assert.equal(gone.status, 404, 'released with the Service');
  const key = objectKey(c.cp.server.ctx.registry.get('networking.k8s.io', 'v1', 'ipaddresses')!, '', '010.096.000.020');
  assert.equal(await c.cp.store.get(key), undefined, 'never recorded under the written form');
});

test('Endpoints and EndpointSlices: legacy forms accepted, special addresses refused however written', async () => {
  const ep = (name: string, ip: string) => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name }, subsets: [{ addresses: [{ ip }], ports: [{ port: 80 }] }] });
  assert.equal((await c.admin.post(`${NS}/endpoints`, ep('zeros', '010.244.000.005'))).status, 201);
  for (const [ip, msg] of [['127.000.000.001', 'may not be in the loopback range'], ['::ffff:127.0.0.1', 'may not be in the loopback range'], ['169.254.001.001', 'may not be in the link-local range']]) {
    const r = await c.admin.post(`${NS}/endpoints`, ep(`special-${ip.replace(/[.:]/g, '-')}`, ip!));
    assert.equal(r.status, 422, r.text);
    assert.match(r.body.message, new RegExp(`subsets\\[0\\]\\.addresses\\[0\\]\\.ip: Invalid value: "${ip!.replace(/\./g, '\\.')}": ${msg}`));
  }
  const slice = (name: string, addr: string) => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name }, addressType: 'IPv4', endpoints: [{ addresses: [addr] }] });
  assert.equal((await c.admin.post('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice('zeros', '010.244.000.006'))).status, 201);
  const lo = await c.admin.post('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', slice('lo', '127.0.0.01'));
  assert.equal(lo.status, 422, lo.text);
  assert.match(lo.body.message, /may not be in the loopback range/);
});

test('pod IPs: legacy forms accepted; a zone is not an IP (node:net accepted it)', async () => {
  const r = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ips' }, spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox' }] } });
  assert.equal(r.status, 201, r.text);
  const ok = await c.admin.patch(`${NS}/pods/ips/status`, { status: { podIP: '010.244.000.009', podIPs: [{ ip: '010.244.000.009' }] } }, 'application/merge-patch+json');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.status.podIP, '010.244.000.009');
  const zone = await c.admin.patch(`${NS}/pods/ips/status`, { status: { podIP: 'fe80::1%eth0', podIPs: [{ ip: 'fe80::1%eth0' }] } }, 'application/merge-patch+json');
  assert.equal(zone.status, 422, zone.text);
  assert.match(zone.body.message, /status\.podIPs\[0\]: Invalid value: "fe80::1%eth0": must be a valid IP address/);
});
