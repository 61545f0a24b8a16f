import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { FakeApiClient } from '../cluster/client/fake.ts';
import { resources } from '../cluster/client/resources.ts';
import { clientConfigFromKubeconfig, runSim } from './sim.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-kc-'));
  const file = join(dir, 'kc.yaml');
  writeFileSync(file, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster }], users: [{ name: 'u', user }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
  return file;
}

test('sim: the kubeconfig must name the cluster CA and carry a credential', () => {
  const ok = clientConfigFromKubeconfig(kubeconfig({ server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA) }, { token: 't0k' }));
  assert.deepEqual(ok.identity, { caPem: CA, token: 't0k' });
  assert.equal(ok.server, 'https://127.0.0.1:6443');
  assert.throws(() => clientConfigFromKubeconfig(kubeconfig({ server: 'https://127.0.0.1:6443' }, { token: 't' })), /^Error: kubeconfig '.*': the cluster has no certificate-authority$/);
  assert.throws(() => clientConfigFromKubeconfig(kubeconfig({ server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA) }, {})), /neither a client certificate nor a token/);
  assert.throws(() => clientConfigFromKubeconfig(kubeconfig({ server: 'http://127.0.0.1:6443', 'certificate-authority-data': b64(CA) }, { token: 't' })), /^Error: kubeconfig '.*': invalid configuration: the server of cluster ".*" must be https/);
  assert.equal(clientConfigFromKubeconfig(kubeconfig({ server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA), 'tls-server-name': 'api' }, { token: 't' })).identity.serverName, 'api');
  assert.throws(() => clientConfigFromKubeconfig(kubeconfig({ server: 'https://127.0.0.1:6443/prefix', 'certificate-authority-data': b64(CA) }, { token: 't' })), /a server with a path is not supported/);
});

test('sim: arguments are checked before anything is written', async () => {
  const file = kubeconfig({ server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA) }, { token: 't' });
  const client = new FakeApiClient();
  const make = () => client;
  await assert.rejects(runSim(['pods', '1'], () => {}, make), /unknown simulation "pods"/);
  await assert.rejects(runSim(['nodes', '--kubeconfig', file], () => {}, make), /number of nodes is required/);
  await assert.rejects(runSim(['nodes', 'x', '--kubeconfig', file], () => {}, make), /number of nodes is required/);
  await assert.rejects(runSim(['nodes', '2', '--kubeconfig', file, '--capacity', 'cpu'], () => {}, make), /want NAME=QUANTITY/);
  await assert.rejects(runSim(['nodes', '2', '--kubeconfig', file, '--job-run-time', 'soon'], () => {}, make), /--job-run-time/);
  assert.equal(client.actions.length, 0);
});

test('sim: runs until told to stop, with the capacity asked for', async () => {
  const file = kubeconfig({ server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA) }, { token: 't' });
  const client = new FakeApiClient();
  let out = '';
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const run = runSim(['nodes', '2', '--kubeconfig', file, '--capacity', 'cpu=4,pods=20', '--log-level', 'silent'], (s) => (out += s), () => client, stopped);
  for (let i = 0; i < 200 && !out; i++) await new Promise((r) => setTimeout(r, 10));
  assert.match(out, /^simulating 2 nodes \(sim-node-0 \.\. sim-node-1\) against https:\/\/127\.0\.0\.1:6443\n$/);
  const n = client.stored(resources.nodes)[0]!;
  assert.equal(n.status.capacity.cpu, '4');
  assert.equal(n.status.capacity.pods, '20');
  assert.equal(n.status.capacity.memory, '256Gi');
  stop();
  assert.equal(await run, 0);
});
