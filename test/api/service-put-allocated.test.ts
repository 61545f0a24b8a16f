/**
 * A Service update that leaves out what the server allocated keeps it, as upstream's Service
 * beginUpdate (pkg/registry/core/service/storage/storage.go, 1.33): patchAllocatedValues (ClusterIP,
 * ClusterIPs, nodePorts by port name unless both objects use that node port on another port,
 * healthCheckNodePort), then normalizeClusterIPs. `kubectl replace -f svc.yaml` of the manifest the
 * Service was created from works and keeps its address and node ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { clusterPerFile } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';

const c = clusterPerFile();
const SVCS = '/api/v1/namespaces/default/services';

type Spec = Record<string, unknown>;
const manifest = (name: string, spec: Spec) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ...spec } });
const twoPorts = () => [
  { name: 'http', port: 80 },
  { name: 'https', port: 443 },
];
const nodePorts = (body: { spec: { ports: Array<{ name: string; nodePort?: number }> } }) => Object.fromEntries(body.spec.ports.map((p) => [p.name, p.nodePort]));

async function create(name: string, spec: Spec) {
  const r = await c.admin.post(SVCS, manifest(name, spec));
  assert.equal(r.status, 201, r.text);
  return r.body;
}

test('a PUT without clusterIP, clusterIPs and nodePorts keeps them (dry run too); healthCheckNodePort likewise', async () => {
  const made = await create('np', { type: 'NodePort', ports: twoPorts() });
  const dry = await c.admin.put(`${SVCS}/np?dryRun=All`, manifest('np', { type: 'NodePort', ports: twoPorts() }));
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual([dry.body.spec.clusterIP, dry.body.spec.clusterIPs, nodePorts(dry.body)], [made.spec.clusterIP, made.spec.clusterIPs, nodePorts(made)]);
  const r = await c.admin.put(`${SVCS}/np`, manifest('np', { type: 'NodePort', ports: twoPorts(), sessionAffinity: 'ClientIP' }));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.body.spec.clusterIP, r.body.spec.clusterIPs, nodePorts(r.body)], [made.spec.clusterIP, made.spec.clusterIPs, nodePorts(made)]);
  assert.equal(r.body.spec.sessionAffinity, 'ClientIP');

  const lb = await create('lb-local', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80 }] });
  assert.ok(lb.spec.healthCheckNodePort > 0);
  const again = await c.admin.put(`${SVCS}/lb-local`, manifest('lb-local', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80 }] }));
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.spec.healthCheckNodePort, lb.spec.healthCheckNodePort);
  assert.deepEqual(nodePorts(again.body), nodePorts(lb));
});

test("a nodePort is taken back by port name unless both objects use it: moved to another port, or a renamed port's", async () => {
  const made = await create('moved', { type: 'NodePort', ports: twoPorts() });
  const { https: b } = nodePorts(made) as { https: number };
  // https's old node port is now http's: https gets a new one (upstream's `used` set), not b twice.
  const r = await c.admin.put(`${SVCS}/moved`, manifest('moved', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: b }, { name: 'https', port: 443 }] }));
  assert.equal(r.status, 200, r.text);
  const got = nodePorts(r.body) as { http: number; https: number };
  assert.equal(got.http, b);
  assert.ok(got.https > 0 && got.https !== b, JSON.stringify(got));
  // A port under a new name has no old value: a new node port; the named one keeps its own.
  const renamed = await c.admin.put(`${SVCS}/moved`, manifest('moved', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'tls', port: 443 }] }));
  assert.equal(renamed.status, 200, renamed.text);
  const now = nodePorts(renamed.body) as { http: number; tls: number };
  assert.equal(now.http, b);
  assert.ok(now.tls! > 0 && now.tls !== b && now.tls !== got.https, JSON.stringify(now));
});

test('clusterIPs follow clusterIP on update as upstream normalizeClusterIPs', async () => {
  const made = await create('norm', { type: 'ClusterIP', ports: [{ port: 80 }] });
  // clusterIP changed, clusterIPs as stored: clusterIPs become [clusterIP], refused as a change of spec.clusterIPs.
  const moved = await c.admin.put(`${SVCS}/norm`, manifest('norm', { clusterIP: '10.96.3.3', clusterIPs: made.spec.clusterIPs, ports: [{ port: 80 }] }));
  assert.equal(moved.status, 422, moved.text);
  assert.equal(moved.body.message, 'Service "norm" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.3.3"}: may not change once set');
  // Made ExternalName with clusterIP cleared and clusterIPs as stored: both cleared.
  const ext = await c.admin.put(`${SVCS}/norm`, manifest('norm', { type: 'ExternalName', externalName: 'db.example.com', clusterIP: '', clusterIPs: made.spec.clusterIPs, selector: undefined, ports: [{ port: 80 }] }));
  assert.equal(ext.status, 200, ext.text);
  assert.equal(ext.body.spec.clusterIP || undefined, undefined);
  assert.equal(ext.body.spec.clusterIPs, undefined);
});

test('kubectl 1.33 replace -f of the manifest a NodePort Service was created from', { skip: kubectlSkip(33) }, async () => {
  const kc = join(c.dataDir, 'admin.kubeconfig');
  const yaml = ['apiVersion: v1', 'kind: Service', 'metadata:', '  name: replaced', '  namespace: default', 'spec:', '  type: NodePort', '  selector: {app: web}', '  ports:', '  - {name: http, port: 80}', ''].join('\n');
  const created = await runKubectl(33, kc, ['create', '-f', '-'], yaml);
  assert.equal(created.code, 0, created.stderr);
  const before = (await c.admin.get(`${SVCS}/replaced`)).body;
  const replaced = await runKubectl(33, kc, ['replace', '-f', '-'], yaml.replace('app: web', 'app: web2'));
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.equal(replaced.stdout.trim(), 'service/replaced replaced');
  const afterReplace = (await c.admin.get(`${SVCS}/replaced`)).body;
  assert.deepEqual(afterReplace.spec.selector, { app: 'web2' });
  assert.deepEqual([afterReplace.spec.clusterIP, afterReplace.spec.clusterIPs, nodePorts(afterReplace)], [before.spec.clusterIP, before.spec.clusterIPs, nodePorts(before)]);
});

test('a merge patch to ExternalName drops the address fields it left unchanged, as upstream dropTypeDependentFields; the address is free again', async () => {
  const made = await create('to-ext', { type: 'ClusterIP', ports: [{ port: 80 }] });
  const r = await c.admin.patch(`${SVCS}/to-ext`, { spec: { type: 'ExternalName', externalName: 'db.example.com' } }, 'application/merge-patch+json');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.body.spec.clusterIP, r.body.spec.clusterIPs, r.body.spec.ipFamilies, r.body.spec.ipFamilyPolicy], [undefined, undefined, undefined, undefined]);
  const reuse = await c.admin.post(SVCS, manifest('reuse', { clusterIP: made.spec.clusterIP, ports: [{ port: 80 }] }));
  assert.equal(reuse.status, 201, reuse.text);
  // Back to ClusterIP: a new address and the families again.
  const back = await c.admin.patch(`${SVCS}/to-ext`, { spec: { type: 'ClusterIP', externalName: null } }, 'application/merge-patch+json');
  assert.equal(back.status, 200, back.text);
  assert.ok(back.body.spec.clusterIP && back.body.spec.clusterIP !== made.spec.clusterIP, back.text);
  assert.deepEqual([back.body.spec.ipFamilies, back.body.spec.ipFamilyPolicy], [['IPv4'], 'SingleStack']);
});
