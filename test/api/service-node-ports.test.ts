/**
 * NodePort allocation on the embedded store (issue 14): Services of type NodePort and LoadBalancer
 * get nodePorts from 30000-32767, a named one is taken or refused with upstream's messages, ports
 * come back on delete and on a type change, and a LoadBalancer with externalTrafficPolicy Local
 * gets a healthCheckNodePort.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';
import { NodePortRepair } from '../../src/server/rest/node-port-repair.ts';
import { NODE_PORT_KEY_PREFIX } from '../../src/server/rest/service-node-ports.ts';

const c = clusterPerFile();

const SVCS = '/api/v1/namespaces/default/services';
const svc = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ...spec } });
const MERGE = 'application/merge-patch+json';

test('unset nodePorts are allocated in range; TCP and UDP on one port share a nodePort; ClusterIP Services get none', async () => {
  const r = await c.admin.post(SVCS, svc('np-auto', { type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'web', port: 80 }] }));
  assert.equal(r.status, 201, r.text);
  const [udp, tcp, web] = r.body.spec.ports.map((p: { nodePort: number }) => p.nodePort);
  for (const p of [udp, tcp, web]) assert.ok(p >= 30000 && p <= 32767, `nodePort ${p} in range`);
  assert.equal(udp, tcp, 'the same service port shares its nodePort across protocols');
  assert.notEqual(web, udp);
  const plain = await c.admin.post(SVCS, svc('cip', { ports: [{ port: 80 }] }));
  assert.equal(plain.status, 201, plain.text);
  assert.equal(plain.body.spec.ports[0].nodePort, undefined);
});

test('a named nodePort is taken; a second Service naming it, or one outside the range, is refused as upstream', async () => {
  const first = await c.admin.post(SVCS, svc('np-given', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.spec.ports[0].nodePort, 30080);
  const clash = await c.admin.post(SVCS, svc('np-clash', { type: 'NodePort', ports: [{ port: 8080, nodePort: 30080 }] }));
  assert.equal(clash.status, 422, clash.text);
  assert.equal(clash.body.message, 'Service "np-clash" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
  assert.deepEqual(clash.body.details.causes, [{ reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort', message: 'Invalid value: 30080: provided port is already allocated' }]);
  const out = await c.admin.post(SVCS, svc('np-out', { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 8080 }] }));
  assert.equal(out.status, 422, out.text);
  assert.equal(out.body.message, 'Service "np-out" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');
  // A refused create keeps nothing: the Service's other, automatically chosen port is free again
  // (checked by the dry run below succeeding for the same port later), and the name is unused.
  assert.equal((await c.admin.get(`${SVCS}/np-clash`)).status, 404);
  // A dry run checks without taking.
  const dry = await c.admin.post(`${SVCS}?dryRun=All`, svc('np-dry', { type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] }));
  assert.equal(dry.status, 201, dry.text);
  const dryClash = await c.admin.post(`${SVCS}?dryRun=All`, svc('np-dry', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
  assert.equal(dryClash.status, 422, dryClash.text);
  const real = await c.admin.post(SVCS, svc('np-after-dry', { type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] }));
  assert.equal(real.status, 201, real.text);
});

test('a deleted Service gives its nodePort back', async () => {
  assert.equal((await c.admin.post(SVCS, svc('np-del', { type: 'NodePort', ports: [{ port: 80, nodePort: 30090 }] }))).status, 201);
  assert.equal((await c.admin.post(SVCS, svc('np-del-2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30090 }] }))).status, 422);
  assert.equal((await c.admin.delete(`${SVCS}/np-del`)).status, 200);
  const again = await c.admin.post(SVCS, svc('np-del-2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30090 }] }));
  assert.equal(again.status, 201, again.text);
});

test('type changes: to ClusterIP clears and frees the nodePorts, back to NodePort allocates; a changed nodePort frees the old one', async () => {
  assert.equal((await c.admin.post(SVCS, svc('np-type', { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] }))).status, 201);
  const toCip = await c.admin.patch(`${SVCS}/np-type`, { spec: { type: 'ClusterIP' } }, MERGE);
  assert.equal(toCip.status, 200, toCip.text);
  assert.equal(toCip.body.spec.ports[0].nodePort, undefined, 'nodePorts are dropped with the type');
  const taker = await c.admin.post(SVCS, svc('np-taker', { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] }));
  assert.equal(taker.status, 201, taker.text);
  const back = await c.admin.patch(`${SVCS}/np-type`, { spec: { type: 'NodePort' } }, MERGE);
  assert.equal(back.status, 200, back.text);
  const np = back.body.spec.ports[0].nodePort;
  assert.ok(np >= 30000 && np <= 32767 && np !== 30100, `new nodePort ${np}`);
  // Moving to a taken port is refused; moving to a free one frees the old.
  const clash = await c.admin.patch(`${SVCS}/np-type`, { spec: { ports: [{ port: 80, nodePort: 30100 }] } }, MERGE);
  assert.equal(clash.status, 422, clash.text);
  assert.equal(clash.body.message, 'Service "np-type" is invalid: spec.ports[0].nodePort: Invalid value: 30100: provided port is already allocated');
  const moved = await c.admin.patch(`${SVCS}/np-type`, { spec: { ports: [{ port: 80, nodePort: 30101 }] } }, MERGE);
  assert.equal(moved.status, 200, moved.text);
  const reuse = await c.admin.post(SVCS, svc('np-reuse', { type: 'NodePort', ports: [{ port: 80, nodePort: np }] }));
  assert.equal(reuse.status, 201, reuse.text);
});

test('LoadBalancer: allocateLoadBalancerNodePorts false takes none; externalTrafficPolicy Local gets a healthCheckNodePort, freed with the policy', async () => {
  const none = await c.admin.post(SVCS, svc('lb-none', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] }));
  assert.equal(none.status, 201, none.text);
  assert.equal(none.body.spec.ports[0].nodePort, undefined);
  const local = await c.admin.post(SVCS, svc('lb-local', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30200, ports: [{ port: 80 }] }));
  assert.equal(local.status, 201, local.text);
  assert.equal(local.body.spec.healthCheckNodePort, 30200);
  assert.equal((await c.admin.post(SVCS, svc('hc-clash', { type: 'NodePort', ports: [{ port: 80, nodePort: 30200 }] }))).status, 422);
  const cluster = await c.admin.patch(`${SVCS}/lb-local`, { spec: { externalTrafficPolicy: 'Cluster' } }, MERGE);
  assert.equal(cluster.status, 200, cluster.text);
  assert.equal(cluster.body.spec.healthCheckNodePort, undefined);
  assert.equal((await c.admin.post(SVCS, svc('hc-clash', { type: 'NodePort', ports: [{ port: 80, nodePort: 30200 }] }))).status, 201);
});

test('repair: a port no Service holds (a server died between its two writes) is given back after two rounds; held ports stay', async () => {
  await c.cp.store.create(`${NODE_PORT_KEY_PREFIX}30999`, { port: 30999, namespace: 'default', name: 'never-stored', uid: 'u-1' });
  assert.equal((await c.admin.post(SVCS, svc('np-leak', { type: 'NodePort', ports: [{ port: 80, nodePort: 30999 }] }))).status, 422, 'the leaked port is taken');
  assert.equal((await c.admin.post(SVCS, svc('np-held', { type: 'NodePort', ports: [{ port: 80, nodePort: 30998 }] }))).status, 201);
  const repair = new NodePortRepair(c.cp.server.ctx);
  await repair.runOnce();
  assert.equal(repair.released, 0, 'first round: only noted (a create may be between its two writes)');
  await repair.runOnce();
  assert.equal(repair.released, 1);
  assert.equal((await c.admin.post(SVCS, svc('np-leak', { type: 'NodePort', ports: [{ port: 80, nodePort: 30999 }] }))).status, 201, 'free again');
  assert.equal((await c.admin.post(SVCS, svc('np-held-2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30998 }] }))).status, 422, 'a held port stays taken');
  await repair.runOnce();
  assert.equal(repair.released, 1, 'nothing held is released');
});
