/**
 * A pod reaches the API server through the `kubernetes` Service (root): the server listens on an
 * underlay address the test gives the host, which it advertises; its Endpoints/EndpointSlice name
 * that address, the node's service table (rendered from what the API serves) DNATs 10.96.0.1:443
 * to it, and a client in a pod's network namespace speaks TLS to https://10.96.0.1 (the server
 * certificate names the Service IP) and reads the Service back as the admin.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { renderServices, serviceRules } from '../../src/cluster/agent/network/services.ts';
import { TestClient } from '../helpers/client.ts';
import { waitFor } from '../helpers/crd.ts';
import { RoutedNode } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

const skip = requireRoot('the kubernetes Service from a pod') || requireBinaries('nftables', 'nft') || requireBinaries('iproute2', 'ip');
const sh = (args: string[], input?: string) => execFileSync(args[0]!, args.slice(1), { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });

let node: RoutedNode;
let cp: ControlPlane;
let admin: TestClient;
let dir: string;
let hostIp: string;
let hostLink: string;

before(async () => {
  if (skip) return;
  node = new RoutedNode();
  // The underlay: a veth from the host to the node namespace, a /30 of its own (removed with the node namespace).
  const n = parseInt(node.suffix.slice(0, 2), 16);
  hostIp = `10.250.${n}.1`;
  hostLink = `vu${node.suffix}`;
  sh(['ip', 'link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'under0', 'netns', node.node]);
  sh(['ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostLink]);
  sh(['ip', 'link', 'set', hostLink, 'up']);
  node.exec(['ip', 'addr', 'add', `10.250.${n}.2/30`, 'dev', 'under0']);
  node.exec(['ip', 'link', 'set', 'under0', 'up']);
  // The node masquerades pod traffic leaving on the underlay, so the host needs no route to pods.
  node.loadNftables('table ip underlay {\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n    oifname "under0" masquerade\n  }\n}\n');
  dir = mkdtempSync(join(tmpdir(), 'portcullis-kubernetes-svc-'));
  // Bound to the underlay address only, which is then the advertised address (no flag needed).
  cp = await startControlPlane({ dataDir: dir, port: 0, bindAddress: hostIp, logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false });
  admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
});
after(async () => {
  try {
    admin?.close();
    await cp?.close();
  } finally {
    node?.destroy();
    if (hostLink) {
      try {
        sh(['ip', 'link', 'del', hostLink]);
      } catch {
        // gone with the node namespace
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** Asynchronous: the API server answering runs in this process. */
const inPod = async (...args: string[]) => (await promisify(execFile)('ip', ['netns', 'exec', `pch0-${node.suffix}`, process.execPath, '-e', GET, ...args], { timeout: 20_000 })).stdout;

/** An HTTPS GET from inside a network namespace, as a pod's client would make it (admin certificate). */
const GET = `
const https = require('node:https');
const fs = require('node:fs');
const [url, ca, cert, key] = process.argv.slice(1);
https.get(url, { ca: fs.readFileSync(ca), cert: fs.readFileSync(cert), key: fs.readFileSync(key), timeout: 3000 }, (res) => {
  let body = '';
  res.on('data', (d) => (body += d));
  res.on('end', () => { process.stdout.write(JSON.stringify({ status: res.statusCode, body })); });
}).on('timeout', function () { this.destroy(new Error('timed out')); }).on('error', (err) => { process.stdout.write(JSON.stringify({ error: err.message })); });
`;

test('a pod reaches the API server at https://10.96.0.1 through the kubernetes Service', { skip, timeout: 60_000 }, async () => {
  const slice = await waitFor('the kubernetes EndpointSlice', async () => {
    const r = await admin.get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    return r.status === 200 ? r.body : undefined;
  });
  assert.deepEqual(slice.endpoints.map((e: { addresses: string[] }) => e.addresses[0]), [hostIp]);
  const svc = (await admin.get('/api/v1/namespaces/default/services/kubernetes')).body;
  assert.equal(svc.spec.clusterIP, '10.96.0.1');
  // What the node's service proxy renders from the informers' view, loaded into the node.
  node.loadNftables(renderServices(serviceRules([svc], [slice])));
  node.addHost('pod', '10.244.0.10');
  const p = cp.pki.paths;
  const out = await inPod('https://10.96.0.1/api/v1/namespaces/default/services/kubernetes', p.caCert, p.adminCert, p.adminKey);
  const r = JSON.parse(out) as { status?: number; body?: string; error?: string };
  assert.equal(r.error, undefined, `the pod's request failed: ${r.error}`);
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body!).metadata.name, 'kubernetes');
  // Without the service table the ClusterIP goes nowhere (the DNAT is what carried it).
  node.exec(['nft', 'delete', 'table', 'ip', 'portcullis_svc']);
  const none = JSON.parse(await inPod('https://10.96.0.1/version', p.caCert, p.adminCert, p.adminKey)) as { error?: string };
  assert.ok(none.error, 'no answer at the ClusterIP without the service rules');
});
