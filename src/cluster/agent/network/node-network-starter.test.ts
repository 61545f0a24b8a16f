/**
 * nodeNetworkStarter before its identity has a certificate: nothing is started (no API call, no
 * command on the host), a pod that needs an address is refused with the reason, and a certificate
 * issued after the agent stopped starts nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApiClient } from '../../client/fake.ts';
import type { ApiClient } from '../../client/types.ts';
import { nodeNetworkStarter } from './node-network.ts';

const log = { info() {}, warn() {}, error() {} };

test('the node network waits for its own identity: pods needing an address are refused until then, and a late certificate after stop starts nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'net-starter-'));
  try {
    let issue!: (c: ApiClient) => void;
    const identity = new Promise<ApiClient>((r) => (issue = r));
    const net = await nodeNetworkStarter({ nodeName: 'n1', dataDir: dir, clusterCIDR: '10.244.0.0/16', dnsAddress: '', log })(identity);
    await assert.rejects(
      Promise.resolve().then(() => net.podNetwork.setUp({ uid: 'u', name: 'p', namespace: 'default' } as never, '/proc/self/ns/net')),
      { message: 'the pod network is not ready yet: the network identity system:node-network:n1 has no certificate yet (a CertificateSigningRequest for signer portcullis.dev/node-network-client, approved for the node that asks)' },
    );
    assert.deepEqual(await net.podFiles({ metadata: { uid: 'u' } } as never), {}, 'the image\'s resolv.conf until the network runs');
    assert.equal(net.podNetwork.addressOf('u'), undefined);
    await net.stop();
    const client = new FakeApiClient();
    issue(client);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(client.actions, [], 'not even the admin policy kinds were looked for');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
