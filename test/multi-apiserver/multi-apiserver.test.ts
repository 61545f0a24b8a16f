/**
 * Three API servers on one etcd (issue 18): each with its own watch cache and the PKI copied from
 * the first. A write acknowledged by one is read at once on the others (consistent reads), a
 * watch on one sees the others' writes, a watch resumes on another server at the same
 * resourceVersion without a gap (also after its server process was killed mid-stream), Services created
 * at the same time on two servers never share a ClusterIP, and a CRD created on one is served by
 * the others, and quota charged on three servers at once holds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Etcd3 } from 'etcd3';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { TestClient } from '../helpers/client.ts';
import { etcdSkip, startEtcd, type EtcdCluster } from '../helpers/etcd.ts';
import { CRDS, crdManifest, waitFor } from '../helpers/crd.ts';
import { spawnServer } from '../helpers/spawn-up.ts';

const skip = etcdSkip();
let cluster: EtcdCluster;
let dir: string;
const servers: Array<{ cp: ControlPlane; client: TestClient }> = [];
const CMS = '/api/v1/namespaces/default/configmaps';

async function startServer(name: string): Promise<{ cp: ControlPlane; client: TestClient }> {
  const dataDir = join(dir, name);
  // Every server but the first uses the first one's CA and keys (README: copy <data-dir>/pki).
  if (servers.length > 0) cpSync(join(dir, 'a', 'pki'), join(dataDir, 'pki'), { recursive: true });
  const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), etcd: { servers: cluster.servers }, controllers: [], scheduler: false });
  const client = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  return { cp, client };
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'portcullis-multi-apiserver-'));
  cluster = await startEtcd(1);
  for (const name of ['a', 'b', 'c']) servers.push(await startServer(name));
});
after(async () => {
  for (const s of servers) {
    s.client.close();
    await s.cp.close();
  }
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const names = (events: any[]) => events.map((e) => e.object?.metadata?.name);

test('a write on A is read at once on B and C (get and list at the latest resourceVersion), updated on B and deleted on C with its resourceVersion', { skip, timeout: 60_000 }, async () => {
  const [a, b, c] = servers.map((s) => s.client);
  for (let i = 0; i < 5; i++) {
    const made = await a!.post(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `read-${i}` }, data: { i: String(i) } });
    assert.equal(made.status, 201, made.text);
    for (const other of [b!, c!]) {
      const got = await other.get(`${CMS}/read-${i}`);
      assert.equal(got.status, 200, got.text);
      assert.equal(got.body.metadata.resourceVersion, made.body.metadata.resourceVersion);
      const list = await other.get(CMS);
      assert.ok(list.body.items.some((x: any) => x.metadata.name === `read-${i}`), `list on another server lacks read-${i}`);
      assert.ok(Number(list.body.metadata.resourceVersion) >= Number(made.body.metadata.resourceVersion));
    }
    // Writes that depend on the latest state, on other servers at once (no read before): an
    // update pinned at the resourceVersion A answered, a delete with B's as precondition.
    const rw = await a!.post(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `rw-${i}` } });
    assert.equal(rw.status, 201, rw.text);
    const updated = await b!.put(`${CMS}/rw-${i}`, { ...rw.body, data: { i: 'updated' } });
    assert.equal(updated.status, 200, updated.text);
    const gone = await c!.delete(`${CMS}/rw-${i}`, { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: updated.body.metadata.resourceVersion } });
    assert.equal(gone.status, 200, gone.text);
    assert.equal((await a!.get(`${CMS}/rw-${i}`)).status, 404);
  }
});

test('a write elsewhere in etcd (outside --etcd-prefix) does not hold up a consistent read: the cache asks its watch for progress', { skip, timeout: 60_000 }, async () => {
  const raw = new Etcd3({ hosts: cluster.servers });
  try {
    const put = await raw.put('/elsewhere/key').value('x').exec();
    const revision = Number(put.header.revision);
    const b = servers[1]!;
    assert.ok(b.cp.store.currentRevision() < revision, 'the cache has no event for a key outside its prefix');
    const list = await b.client.get(CMS);
    assert.equal(list.status, 200, list.text);
    // Answered from memory once the progress notification moved it (a fallback to etcd leaves it behind).
    assert.ok(b.cp.store.currentRevision() >= revision, `cache at ${b.cp.store.currentRevision()}, etcd at ${revision}`);
    assert.ok(Number(list.body.metadata.resourceVersion) >= revision);
  } finally {
    raw.close();
  }
});

test("a watch on C sees A's writes; a watch resumed on B at the same resourceVersion has no gap", { skip, timeout: 60_000 }, async () => {
  const [a, b, c] = servers.map((s) => s.client);
  const start = (await c!.get(CMS)).body.metadata.resourceVersion;
  const onC = c!.watch(`${CMS}?watch=true&resourceVersion=${start}`, (ev) => names(ev).includes('w-4'), 20_000);
  const made: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await a!.post(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `w-${i}` } });
    assert.equal(r.status, 201, r.text);
    made.push(r.body.metadata.resourceVersion);
  }
  const { events } = await onC;
  assert.deepEqual(names(events), ['w-0', 'w-1', 'w-2', 'w-3', 'w-4']);
  // Resume on B from the second event: exactly the rest, in order.
  const resumed = await b!.watch(`${CMS}?watch=true&resourceVersion=${events[1].object.metadata.resourceVersion}`, (ev) => names(ev).includes('w-4'), 20_000);
  assert.deepEqual(names(resumed.events), ['w-2', 'w-3', 'w-4']);
  assert.deepEqual(resumed.events.map((e) => e.object.metadata.resourceVersion), made.slice(2));
});

test('Services created at once on A and B never share a ClusterIP, a named address is taken or refused, and a deleted one frees its IPAddress', { skip, timeout: 60_000 }, async () => {
  // Both servers start their search at the same address: without a shared allocation they would collide.
  for (const s of servers) s.cp.server.ctx.random = () => 0.5;
  const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } });
  const made = await Promise.all(Array.from({ length: 12 }, (_, i) => servers[i % 2]!.client.post('/api/v1/namespaces/default/services', svc(`svc-${i}`))));
  for (const r of made) assert.equal(r.status, 201, r.text);
  const ips = made.map((r) => r.body.spec.clusterIP);
  assert.equal(new Set(ips).size, ips.length, `duplicate ClusterIPs: ${ips.join(' ')}`);
  const c = servers[2]!.client;
  const ip = await c.get(`/apis/networking.k8s.io/v1/ipaddresses/${ips[0]}`);
  assert.equal(ip.status, 200, ip.text);
  assert.deepEqual(ip.body.spec.parentRef, { group: '', resource: 'services', namespace: 'default', name: 'svc-0' });
  assert.equal((await c.delete('/api/v1/namespaces/default/services/svc-0')).status, 200);
  assert.equal((await c.get(`/apis/networking.k8s.io/v1/ipaddresses/${ips[0]}`)).status, 404);

  // An address a Service names itself is taken the same way: a second Service naming it, on
  // another server, is refused as upstream; a freed address can be named again.
  const mine = await servers[0]!.client.post('/api/v1/namespaces/default/services', { ...svc('given'), spec: { clusterIP: '10.96.200.7', ports: [{ port: 80 }] } });
  assert.equal(mine.status, 201, mine.text);
  const named = { ...svc('given-again'), spec: { clusterIP: ips[1], ports: [{ port: 80 }] } };
  for (const [client, body] of [[servers[1]!.client, { ...svc('clash'), spec: { clusterIP: '10.96.200.7', ports: [{ port: 80 }] } }], [c, named]] as const) {
    const clash = await client.post('/api/v1/namespaces/default/services', body);
    assert.equal(clash.status, 422, clash.text);
    const ip = body.spec.clusterIP;
    assert.equal(clash.body.message, `Service "${body.metadata.name}" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated`);
  }
  assert.equal((await c.get('/apis/networking.k8s.io/v1/ipaddresses/10.96.200.7')).body.spec.parentRef.name, 'given');
  const reuse = await servers[1]!.client.post('/api/v1/namespaces/default/services', { ...svc('reuse'), spec: { clusterIP: ips[0], ports: [{ port: 80 }] } });
  assert.equal(reuse.status, 201, reuse.text);

  // Made ExternalName, a Service gives its address back.
  const current = (await c.get('/api/v1/namespaces/default/services/svc-1')).body;
  const external = await c.put('/api/v1/namespaces/default/services/svc-1', { ...current, spec: { type: 'ExternalName', externalName: 'example.com', ports: current.spec.ports } });
  assert.equal(external.status, 200, external.text);
  assert.equal((await c.get(`/apis/networking.k8s.io/v1/ipaddresses/${ips[1]}`)).status, 404);
});

test('NodePort Services created at once on A and B never share a nodePort; a port taken on A is refused on B and free again once deleted on C', { skip, timeout: 60_000 }, async () => {
  // Both servers start their search at the same port: without a shared allocation they would collide.
  for (const s of servers) s.cp.server.ctx.random = () => 0.5;
  const svc = (name: string, nodePort?: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'NodePort', ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] } });
  const made = await Promise.all(Array.from({ length: 10 }, (_, i) => servers[i % 2]!.client.post('/api/v1/namespaces/default/services', svc(`np-${i}`))));
  for (const r of made) assert.equal(r.status, 201, r.text);
  const ports = made.map((r) => r.body.spec.ports[0].nodePort);
  assert.equal(new Set(ports).size, ports.length, `duplicate nodePorts: ${ports.join(' ')}`);
  const [a, b, c] = servers.map((s) => s.client);
  assert.equal((await a!.post('/api/v1/namespaces/default/services', svc('np-given', 30555))).status, 201);
  const clash = await b!.post('/api/v1/namespaces/default/services', svc('np-clash', 30555));
  assert.equal(clash.status, 422, clash.text);
  assert.equal(clash.body.message, 'Service "np-clash" is invalid: spec.ports[0].nodePort: Invalid value: 30555: provided port is already allocated');
  assert.equal((await c!.delete('/api/v1/namespaces/default/services/np-given')).status, 200);
  const again = await b!.post('/api/v1/namespaces/default/services', svc('np-clash', 30555));
  assert.equal(again.status, 201, again.text);
});

test('a CRD created on A is served on B and C', { skip, timeout: 60_000 }, async () => {
  const [a, b, c] = servers.map((s) => s.client);
  const crd = await a!.post(CRDS, crdManifest('multi.example.com', 'widgets', 'Widget', 'v1', 'Namespaced'));
  assert.equal(crd.status, 201, crd.text);
  const path = '/apis/multi.example.com/v1/namespaces/default/widgets';
  const made = await waitFor('the CRD served on B', async () => {
    const r = await b!.post(path, { apiVersion: 'multi.example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } });
    return r.status === 201 ? r : undefined;
  });
  const got = await waitFor('the custom resource on C', async () => {
    const r = await c!.get(`${path}/w`);
    return r.status === 200 ? r : undefined;
  });
  assert.equal(got.body.metadata.resourceVersion, made.body.metadata.resourceVersion);
});

test('quota charged from three servers at once never lets more through than the quota allows', { skip, timeout: 60_000 }, async () => {
  const [a, b, c] = servers.map((s) => s.client);
  assert.equal((await a!.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quota' } })).status, 201);
  const q = await b!.post('/api/v1/namespaces/quota/resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { configmaps: '4' } } });
  assert.equal(q.status, 201, q.text);
  // What the quota controller would write (none runs here): nothing used yet.
  const st = await c!.put('/api/v1/namespaces/quota/resourcequotas/q/status', { ...q.body, status: { hard: { configmaps: '4' }, used: { configmaps: '0' } } });
  assert.equal(st.status, 200, st.text);
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => servers[i % 3]!.client.post('/api/v1/namespaces/quota/configmaps', cm(`q-${i}`))));
  const codes = answers.map((r) => r.status);
  for (const r of answers) assert.ok(r.status === 201 || r.status === 403 || r.status === 409, r.text);
  const admitted = codes.filter((x) => x === 201).length;
  assert.ok(admitted <= 4, `${admitted} admitted past a quota of 4: ${codes.join(' ')}`);
  // Whatever conflicts left unspent is still there to take, and no more.
  for (let i = 0; i < 4 - admitted; i++) assert.equal((await servers[i % 3]!.client.post('/api/v1/namespaces/quota/configmaps', cm(`r-${i}`))).status, 201);
  const over = await c!.post('/api/v1/namespaces/quota/configmaps', cm('over'));
  assert.equal(over.status, 403, over.text);
  assert.match(over.body.message, /exceeded quota: q, requested: configmaps=1, used: configmaps=4, limited: configmaps=4/);
  assert.equal((await a!.get('/api/v1/namespaces/quota/configmaps')).body.items.length, 4);
  assert.equal((await b!.get('/api/v1/namespaces/quota/resourcequotas/q')).body.status.used.configmaps, '4');
});

test('an API server process killed mid-stream: its client resumes on another from the last resourceVersion, without a gap', { skip, timeout: 90_000 }, async () => {
  const a = servers[0]!.client;
  const c = servers[2]!.client;
  cpSync(join(dir, 'a', 'pki'), join(dir, 'd', 'pki'), { recursive: true });
  const victim = await spawnServer('apiserver', join(dir, 'd'), ['--etcd-servers', cluster.servers.join(',')]);
  try {
    const start = (await victim.client.get(CMS)).body.metadata.resourceVersion;
    const made: string[] = [];
    let killed = false;
    // The watch ends when the process dies; what it delivered until then is what its client has.
    const first = victim.client.watch(`${CMS}?watch=true&resourceVersion=${start}`, (ev) => {
      if (!killed && names(ev).includes('k-2')) {
        killed = true;
        victim.child.kill('SIGKILL');
      }
      return false;
    }, 30_000);
    for (let i = 0; i < 3; i++) made.push((await a.post(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `k-${i}` } })).body.metadata.resourceVersion);
    await waitFor('the victim to be killed', async () => (killed ? true : undefined));
    for (let i = 3; i < 6; i++) made.push((await a.post(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `k-${i}` } })).body.metadata.resourceVersion);
    const before = await first;
    assert.equal(await victim.exited, null, 'killed by a signal');
    const seen = before.events;
    assert.deepEqual(names(seen), ['k-0', 'k-1', 'k-2']);
    const last = seen[seen.length - 1].object.metadata.resourceVersion;
    const rest = await c.watch(`${CMS}?watch=true&resourceVersion=${last}`, (ev) => names(ev).includes('k-5'), 20_000);
    assert.deepEqual([...seen, ...rest.events].map((e) => e.object.metadata.resourceVersion), made);
  } finally {
    victim.child.kill('SIGKILL');
    victim.client.close();
  }
});

/** Starts `bin/portcullis controller-manager` against one server; resolves once it printed its start line. */
async function spawnControllerManager(kubeconfig: string): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'portcullis'), 'controller-manager', '--kubeconfig', kubeconfig, '--controllers', 'namespace-controller', '--leader-elect-lease-duration', `${LEASE_S}s`, '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '1s', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('controller manager against')) resolve();
    });
    void exited.then((code) => reject(new Error(`controller-manager exited with ${code}`)));
  });
  return { child, exited };
}

const LEASE_S = 5;
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager';

test('controller-manager leadership moves to the standby (on another API server) within the lease duration once the leader process dies', { skip, timeout: 90_000 }, async () => {
  const [a, b] = servers;
  const first = await spawnControllerManager(a!.cp.kubeconfigPath);
  let second: Awaited<ReturnType<typeof spawnControllerManager>> | undefined;
  try {
    const held = await waitFor('the first manager to lead', async () => {
      const r = await b!.client.get(LEASE);
      return r.status === 200 && r.body.spec.holderIdentity ? r.body.spec : undefined;
    });
    second = await spawnControllerManager(b!.cp.kubeconfigPath);
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null);
    const last = await a!.client.get(LEASE);
    assert.equal(last.body.spec.holderIdentity, held.holderIdentity, 'the standby did not take a lease that was held');
    let taken: any;
    for (let i = 0; i < 600 && !taken; i++) {
      const r = await servers[2]!.client.get(LEASE);
      if (r.body.spec.holderIdentity !== held.holderIdentity) taken = r.body.spec;
      else await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(taken, 'leadership never moved');
    assert.ok(taken.holderIdentity, 'a new holder');
    assert.equal(taken.leaseTransitions, (held.leaseTransitions ?? 0) + 1);
    // Taken only once the dead leader's lease ran out, and promptly after: within one lease
    // duration plus a retry period or two of the standby's (its clock is the Lease's timestamps).
    const gapS = (Date.parse(taken.acquireTime) - Date.parse(last.body.spec.renewTime)) / 1000;
    assert.ok(gapS >= LEASE_S - 1, `taken ${gapS}s after the last renewal, before the lease expired`);
    assert.ok(gapS <= LEASE_S + 3, `taken ${gapS}s after the last renewal (lease ${LEASE_S}s)`);
  } finally {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
  }
});

