/**
 * `portcullis up` and its local node agent: with --local-agent=false there is no node and the
 * banner says so; by default, on a host that can run pods (root, runc, busybox), the local agent
 * joins by a bootstrap token that `up` made and its Node becomes Ready; on a host that cannot,
 * the control plane still serves and the banner says what is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnUp } from '../helpers/spawn-up.ts';
import { missingForRunc } from '../../src/cluster/agent/node-runtime.ts';
import { localNodeName } from '../../src/cluster/agent/local-agent.ts';
import { eventually } from './agent-helpers.ts';

async function withUp(extra: string[], fn: (srv: Awaited<ReturnType<typeof spawnUp>>, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-up-agent-'));
  const srv = await spawnUp(dir, extra);
  try {
    await fn(srv, dir);
  } finally {
    srv.client.close();
    srv.child.kill('SIGTERM');
    await srv.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('up --local-agent=false: the control plane serves, no node joins, and the banner says so', async () => {
  await withUp(['--local-agent=false'], async (srv, dir) => {
    assert.match(srv.stdout(), /no local node runs pods: --local-agent=false/);
    const nodes = await srv.client.get('/api/v1/nodes');
    assert.equal(nodes.status, 200);
    assert.equal(nodes.body.items.length, 0);
    const tokens = await srv.client.get('/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken');
    assert.equal(tokens.body.items.length, 0, 'no join token made');
    assert.equal(existsSync(join(dir, 'agent')), false);
  });
});

test('up: the local agent joins by a bootstrap token that up made, and its Node is Ready (or up says what the host lacks)', async () => {
  const missing = missingForRunc();
  await withUp([], async (srv, dir) => {
    if (missing.length) {
      if (process.env.PORTCULLIS_REQUIRE_ALL === '1') throw new Error(`the local agent needs: ${missing.join('; ')} (PORTCULLIS_REQUIRE_ALL=1)`);
      assert.match(srv.stdout(), /no local node runs pods: missing /);
      assert.equal((await srv.client.get('/api/v1/nodes')).body.items.length, 0);
      return;
    }
    const name = localNodeName();
    assert.match(srv.stdout(), new RegExp(`local node: ${name.replace(/\./g, '\\.')} \\(joining by bootstrap token`));
    const node = await eventually(async () => {
      const r = await srv.client.get(`/api/v1/nodes/${name}`);
      return r.status === 200 && r.body.status?.conditions?.find((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') && r.body;
    }, 'the local Node is Ready', 400, 100);
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^runc:\/\//);
    const tokens = await srv.client.get('/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken');
    assert.equal(tokens.body.items.length, 1);
    assert.match(tokens.body.items[0].metadata.name, /^bootstrap-token-[a-z0-9]{6}$/);
    assert.equal(statSync(join(dir, 'agent', 'bootstrap.kubeconfig')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'agent', 'pki', 'kubelet-client-current.pem')).mode & 0o777, 0o600);
    await eventually(async () => (await srv.client.get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`)).status === 200, 'the node lease');
  });
});
