/**
 * ClusterIPs a Service names itself (issue 18; upstream's IPAddress allocator, the default since
 * 1.33): only addresses of the service CIDR 10.96.0.0/12 that no other Service holds. An address
 * outside it would make every node's Service proxy send that address's traffic to the tenant's
 * pods (another tenant's pod, a node, the kubernetes Service's 10.96.0.1 or anything on the
 * internet), so it is refused with upstream's messages, as are families the cluster does not serve.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';
import { ClusterIPRepair } from '../../src/server/rest/cluster-ip-repair.ts';
import { objectKey } from '../../src/api/registry/resource-def.ts';

const c = clusterPerFile();

const SVCS = '/api/v1/namespaces/default/services';
const svc = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });

function causes(r: { status: number; body: { reason?: string; details?: { causes?: Array<{ field?: string; message?: string }> } }; text: string }): string[] {
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.reason, 'Invalid');
  return (r.body.details?.causes ?? []).map((x) => `${x.field}: ${x.message}`);
}

test('a ClusterIP outside the service CIDR is refused as upstream: another network, the network and broadcast addresses', async () => {
  for (const ip of ['8.8.8.8', '10.244.0.5', '127.0.0.1', '10.112.0.1']) {
    const r = await c.admin.post(SVCS, svc(`out-${ip.replace(/\./g, '-')}`, { clusterIP: ip }));
    assert.deepEqual(causes(r), [`spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: the provided network does not match the current range`]);
  }
  for (const ip of ['10.96.0.0', '10.111.255.255']) {
    const r = await c.admin.post(SVCS, svc(`edge-${ip.replace(/\./g, '-')}`, { clusterIP: ip }));
    assert.deepEqual(causes(r), [`spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is 10.96.0.0/12`]);
  }
  const list = await c.admin.get(SVCS);
  assert.deepEqual(list.body.items.map((s: { metadata: { name: string } }) => s.metadata.name), ['kubernetes']);
});

test("the kubernetes Service's 10.96.0.1 is taken; an address of the range is taken once", async () => {
  const k = await c.admin.post(SVCS, svc('steal-apiserver', { clusterIP: '10.96.0.1' }));
  assert.deepEqual(causes(k), ['spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated']);
  const first = await c.admin.post(SVCS, svc('given', { clusterIP: '10.96.7.7' }));
  assert.equal(first.status, 201, first.text);
  assert.deepEqual(first.body.spec.clusterIPs, ['10.96.7.7']);
  const again = await c.admin.post(SVCS, svc('given-again', { clusterIP: '10.96.7.7' }));
  assert.deepEqual(causes(again), ['spec.clusterIPs: Invalid value: []string{"10.96.7.7"}: failed to allocate IP 10.96.7.7: provided IP is already allocated']);
});

test('IPv6 and dual-stack Services are refused on this single-stack IPv4 cluster', async () => {
  const v6 = await c.admin.post(SVCS, svc('v6', { ipFamilies: ['IPv6'] }));
  assert.deepEqual(causes(v6), ['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster']);
  const v6ip = await c.admin.post(SVCS, svc('v6ip', { clusterIP: 'fd00::10' }));
  assert.equal(v6ip.status, 422, v6ip.text);
  const dual = await c.admin.post(SVCS, svc('dual', { ipFamilyPolicy: 'RequireDualStack' }));
  assert.deepEqual(causes(dual), ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services']);
  // PreferDualStack stays single-stack here, as upstream's on a single-stack cluster.
  const prefer = await c.admin.post(SVCS, svc('prefer', { ipFamilyPolicy: 'PreferDualStack' }));
  assert.equal(prefer.status, 201, prefer.text);
  assert.deepEqual(prefer.body.spec.ipFamilies, ['IPv4']);
  assert.equal(prefer.body.spec.clusterIPs.length, 1);
});

test('an ExternalName Service made a ClusterIP one gets an address from the range; one it names is checked as on create', async () => {
  const made = await c.admin.post(SVCS, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
  assert.equal(made.status, 201, made.text);
  const url = `${SVCS}/ext`;
  const toOutside = await c.admin.patch(url, { spec: { type: 'ClusterIP', clusterIP: '8.8.4.4', externalName: null, ports: [{ port: 53 }] } }, 'application/merge-patch+json');
  assert.deepEqual(causes(toOutside), ['spec.clusterIPs: Invalid value: []string{"8.8.4.4"}: failed to allocate IP 8.8.4.4: the provided network does not match the current range']);
  const toApiserver = await c.admin.patch(url, { spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', externalName: null, ports: [{ port: 53 }] } }, 'application/merge-patch+json');
  assert.deepEqual(causes(toApiserver), ['spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated']);
  const plain = await c.admin.patch(url, { spec: { type: 'ClusterIP', externalName: null, ports: [{ port: 53 }] } }, 'application/merge-patch+json');
  assert.equal(plain.status, 200, plain.text);
  const ip = plain.body.spec.clusterIP;
  assert.match(ip, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
  const addr = await c.admin.get(`/apis/networking.k8s.io/v1/ipaddresses/${ip}`);
  assert.equal(addr.status, 200, addr.text);
  assert.deepEqual(addr.body.spec.parentRef, { group: '', resource: 'services', namespace: 'default', name: 'ext' });
});

test('repair: missing IPAddresses are made, leaked and misdirected ones deleted after 60 s, out-of-range and doubled ClusterIPs reported', async () => {
  const ns = 'repair';
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status, 201);
  const store = c.cp.store;
  const registry = c.cp.server.ctx.registry;
  const svcKey = (name: string) => objectKey(registry.get('', 'v1', 'services')!, ns, name);
  const addrKey = (ip: string) => objectKey(registry.get('networking.k8s.io', 'v1', 'ipaddresses')!, '', ip);
  const stored = (name: string, ip: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, uid: `uid-${name}`, creationTimestamp: '2020-01-01T00:00:00Z' }, spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] } });
  const address = (ip: string, ref: Record<string, string>, created = '2020-01-01T00:00:00Z', managedBy = 'ipallocator.k8s.io') => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IPAddress', metadata: { name: ip, uid: `uid-${ip}`, creationTimestamp: created, labels: { 'ipaddress.kubernetes.io/ip-family': 'IPv4', 'ipaddress.kubernetes.io/managed-by': managedBy } }, spec: { parentRef: ref } });
  const ref = (name: string) => ({ group: '', resource: 'services', namespace: ns, name });
  // As stored by a build before the allocator checked the address, or before IPAddress objects.
  await store.create(svcKey('outside'), stored('outside', '8.8.8.8'));
  await store.create(svcKey('unrecorded'), stored('unrecorded', '10.96.33.1'));
  await store.create(svcKey('twin-a'), stored('twin-a', '10.96.33.2'));
  await store.create(svcKey('twin-b'), stored('twin-b', '10.96.33.2'));
  await store.create(addrKey('10.96.33.2'), address('10.96.33.2', ref('twin-a')));
  await store.create(svcKey('misnamed'), stored('misnamed', '10.96.33.3'));
  await store.create(addrKey('10.96.33.3'), address('10.96.33.3', ref('gone-long-ago')));
  // Addresses: leaked long ago, leaked just now (a create may be between its two writes), pointing at a Service that does not hold it, not a Service's, not the allocator's.
  await store.create(addrKey('10.96.33.4'), address('10.96.33.4', ref('never-stored')));
  await store.create(addrKey('10.96.33.5'), address('10.96.33.5', ref('still-creating'), new Date().toISOString().slice(0, 19) + 'Z'));
  await store.create(addrKey('10.96.33.6'), address('10.96.33.6', ref('unrecorded')));
  await store.create(addrKey('10.96.33.7'), address('10.96.33.7', { group: 'gateway.networking.k8s.io', resource: 'gateways', namespace: ns, name: 'gw' }));
  await store.create(addrKey('10.96.33.8'), address('10.96.33.8', ref('never-stored'), '2020-01-01T00:00:00Z', 'someone-else'));

  await new ClusterIPRepair(c.cp.server.ctx, 'test').runOnce();

  const get = async (ip: string) => (await store.get<{ spec: { parentRef: Record<string, string> } }>(addrKey(ip)))?.value.spec.parentRef;
  assert.deepEqual(await get('10.96.0.1'), { group: '', resource: 'services', namespace: 'default', name: 'kubernetes' }, "the kubernetes Service's address is recorded");
  assert.deepEqual(await get('10.96.33.1'), ref('unrecorded'));
  assert.deepEqual(await get('10.96.33.2'), ref('twin-a'), 'a doubled address stays with its Service');
  assert.deepEqual(await get('10.96.33.3'), ref('misnamed'), 'made again for the Service holding it');
  assert.equal(await get('10.96.33.4'), undefined, 'leaked: deleted');
  assert.deepEqual(await get('10.96.33.5'), ref('still-creating'), 'younger than 60 s: kept');
  assert.equal(await get('10.96.33.6'), undefined, 'its Service does not hold it: deleted');
  assert.equal(await get('10.96.33.7'), undefined, 'not a Service reference: deleted');
  assert.ok(await get('10.96.33.8'), "another manager's address is not touched");
  assert.equal(await get('8.8.8.8'), undefined);

  const events = async (namespace: string) =>
    ((await c.admin.get(`/api/v1/namespaces/${namespace}/events`)).body.items as Array<{ reason: string; message: string; involvedObject: { name: string }; reportingComponent: string; action: string }>)
      .filter((e) => e.reportingComponent === 'ipallocator-repair-controller')
      .map((e) => `${e.involvedObject.name} ${e.reason} ${e.action}: ${e.message}`)
      .sort();
  assert.deepEqual(await events(ns), [
    'misnamed ClusterIPNotAllocated ClusterIPAllocation: the ClusterIP [IPv4]: 10.96.33.3 for Service repair/misnamed has a wrong reference; repairing',
    'outside ClusterIPOutOfRange ClusterIPAllocation: Cluster IP [IPv4]: 8.8.8.8 is not within any configured Service CIDR; please recreate service',
    'twin-b ClusterIPAlreadyAllocated ClusterIPAllocation: Cluster IP [IPv4]:10.96.33.2 was assigned to multiple services; please recreate service',
    'unrecorded ClusterIPNotAllocated ClusterIPAllocation: Cluster IP [IPv4]: 10.96.33.1 is not allocated; repairing',
  ]);
  const clusterScoped = (await events('default')).filter((e) => !e.startsWith('kubernetes '));
  assert.deepEqual(clusterScoped, [
    '10.96.33.4 IPAddressNotAllocated IPAddressAllocation: IPAddress: 10.96.33.4 for Service repair/never-stored appears to have leaked: cleaning up',
    '10.96.33.6 IPAddressWrongReference IPAddressAllocation: IPAddress: 10.96.33.6 for Service repair/unrecorded has a wrong reference; cleaning up',
    '10.96.33.7 IPAddressNotAllocated IPAddressAllocation: IPAddress 10.96.33.7 appears to have been modified, not referencing a Service &{gateway.networking.k8s.io gateways repair gw}: cleaning up',
  ]);
  // A second round finds nothing more to do.
  const again = new ClusterIPRepair(c.cp.server.ctx, 'test');
  await again.runOnce();
  assert.equal(again.repaired, 0);
});

// A second ClusterIP (spec.clusterIPs[1]): more than one address must be one of each family
// (upstream's ValidateServiceClusterIPsRelatedFields) and an IPv6 one is not served here
// (initIPFamilyFields, on create and update). Before, a second IPv4 address was stored unchecked
// on create, on an update adding it and on an ExternalName Service made a ClusterIP one, and every
// node's Service proxy DNATs each IPv4 clusterIP: a tenant could take 10.96.0.1, another
// Service's ClusterIP or any outside address as its Service's second address.
const oneOfEach = (ips: string[]) => `spec.clusterIPs: Invalid value: []string{${ips.map((ip) => `"${ip}"`).join(', ')}}: may specify no more than one IP for each IP family`;

test('a second IPv4 ClusterIP is refused on create: the kubernetes Service, another Service, an outside address', async () => {
  const victim = await c.admin.post(SVCS, svc('victim', {}));
  assert.equal(victim.status, 201, victim.text);
  for (const [name, second] of [['apiserver', '10.96.0.1'], ['other', victim.body.spec.clusterIP as string], ['outside', '8.8.8.8']] as const) {
    const ips = ['10.96.9.9', second];
    const r = await c.admin.post(SVCS, svc(`two-${name}`, { clusterIPs: ips, ipFamilyPolicy: 'PreferDualStack' }));
    assert.deepEqual(causes(r), [oneOfEach(ips)]);
  }
  // An address of the family ipFamilies does not name for it.
  const r = await c.admin.post(SVCS, svc('wrong-family', { clusterIP: '10.96.9.9', ipFamilies: ['IPv6'] }));
  assert.ok(causes(r).includes('spec.clusterIPs[0]: Invalid value: "10.96.9.9": expected an IPv6 value as indicated by `ipFamilies[0]`'), r.text);
  const addr = await c.admin.get('/apis/networking.k8s.io/v1/ipaddresses/10.96.9.9');
  assert.equal(addr.status, 404, addr.text);
});

test('an update may not add a second ClusterIP: IPv4 (one of each family) or IPv6 (not configured)', async () => {
  const made = await c.admin.post(SVCS, svc('grow', {}));
  assert.equal(made.status, 201, made.text);
  const ip = made.body.spec.clusterIP as string;
  const v4 = await c.admin.patch(`${SVCS}/grow`, { spec: { clusterIPs: [ip, '8.8.8.8'], ipFamilyPolicy: 'PreferDualStack' } }, 'application/merge-patch+json');
  assert.deepEqual(causes(v4), [oneOfEach([ip, '8.8.8.8'])]);
  const v6 = await c.admin.patch(`${SVCS}/grow`, { spec: { clusterIPs: [ip, 'fd00::10'], ipFamilyPolicy: 'PreferDualStack' } }, 'application/merge-patch+json');
  assert.deepEqual(causes(v6), [`spec.clusterIPs[1]: Invalid value: []string{"${ip}", "fd00::10"}: IPv6 is not configured on this cluster`]);
  const families = await c.admin.patch(`${SVCS}/grow`, { spec: { ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack' } }, 'application/merge-patch+json');
  assert.deepEqual(causes(families), ['spec.ipFamilies[1]: Invalid value: "IPv6": not configured on this cluster']);
  const dual = await c.admin.patch(`${SVCS}/grow`, { spec: { ipFamilyPolicy: 'RequireDualStack' } }, 'application/merge-patch+json');
  assert.deepEqual(causes(dual), ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services']);
  // What a single-stack cluster allows still passes.
  const prefer = await c.admin.patch(`${SVCS}/grow`, { spec: { ipFamilyPolicy: 'PreferDualStack' } }, 'application/merge-patch+json');
  assert.equal(prefer.status, 200, prefer.text);
  assert.deepEqual(prefer.body.spec.clusterIPs, [ip]);
  assert.deepEqual(prefer.body.spec.ipFamilies, ['IPv4']);
});

test('an ExternalName Service made a ClusterIP one may not name a second IPv4 address', async () => {
  const made = await c.admin.post(SVCS, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext-two' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
  assert.equal(made.status, 201, made.text);
  const ips = ['10.96.44.4', '10.96.0.1'];
  const r = await c.admin.patch(`${SVCS}/ext-two`, { spec: { type: 'ClusterIP', externalName: null, clusterIPs: ips, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 53 }] } }, 'application/merge-patch+json');
  assert.deepEqual(causes(r), [oneOfEach(ips)]);
  const list = await c.admin.get(SVCS);
  for (const s of list.body.items) assert.ok((s.spec.clusterIPs ?? []).length <= 1, JSON.stringify(s.spec));
});

test('repair acts on the Services as stored when it acts, not as listed: a Service deleted or created during a round is left alone', async () => {
  const ns = 'repair-race';
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status, 201);
  const ctx = c.cp.server.ctx;
  const store = c.cp.store;
  const registry = ctx.registry;
  const addrKey = (ip: string) => objectKey(registry.get('networking.k8s.io', 'v1', 'ipaddresses')!, '', ip);
  const url = `/api/v1/namespaces/${ns}/services`;
  const gone = await c.admin.post(url, svc('gone', { clusterIP: '10.96.44.1' }));
  assert.equal(gone.status, 201, gone.text);
  // As an older build left it: no IPAddress, so the round reads the address afresh when it gets to 'gone'.
  const held = await store.get(addrKey('10.96.44.1'));
  await store.delete(addrKey('10.96.44.1'), held!.modRevision);
  // The round lists the Services, then (before it repairs anything) 'gone' is deleted and its
  // address taken by a new Service: the listed 'gone' must not get the address back.
  const realList = store.list.bind(store);
  let deletedDuringRound = false;
  (store as { list: typeof store.list }).list = (async (...args: Parameters<typeof store.list>) => {
    const out = await realList(...args);
    if (!deletedDuringRound && String(args[0]).includes('services')) {
      deletedDuringRound = true;
      assert.equal((await c.admin.delete(`${url}/gone`)).status, 200);
      assert.equal((await c.admin.post(url, svc('taker', { clusterIP: '10.96.44.1' }))).status, 201);
    }
    return out;
  }) as typeof store.list;
  try {
    await new ClusterIPRepair(ctx, 'test').runOnce();
  } finally {
    (store as { list: typeof store.list }).list = realList;
  }
  assert.ok(deletedDuringRound);
  const parent = (await store.get<{ spec: { parentRef: Record<string, string> } }>(addrKey('10.96.44.1')))?.value.spec.parentRef;
  assert.deepEqual(parent, { group: '', resource: 'services', namespace: ns, name: 'taker' });
  const events = (await c.admin.get(`/api/v1/namespaces/${ns}/events`)).body.items.filter((e: { reportingComponent: string }) => e.reportingComponent === 'ipallocator-repair-controller');
  assert.deepEqual(events, []);
});
