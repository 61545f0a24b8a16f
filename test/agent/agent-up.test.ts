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
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';

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
    // up approves its own agent's kubelet-serving request (no other node's), so logs and exec work at once.
    const serving = await eventually(async () => {
      const r = await srv.client.get('/apis/certificates.k8s.io/v1/certificatesigningrequests?fieldSelector=spec.signerName%3Dkubernetes.io%2Fkubelet-serving');
      return r.body.items?.find((c: K8sObject) => c.spec?.username === `system:node:${name}` && c.status?.certificate) as K8sObject | undefined;
    }, 'the local agent\'s serving certificate', 400, 100);
    assert.deepEqual((serving.status?.conditions as { type: string; reason: string }[]).map((c) => [c.type, c.reason]), [['Approved', 'PortcullisUpLocalAgent']]);
  });
});

test('portcullis agent: joins with a bootstrap kubeconfig and its Node is Ready; stops on SIGTERM; --kubeconfig is required', async (t) => {
  const { spawn, spawnSync } = await import('node:child_process');
  const { renderKubeconfig, writeKubeconfig } = await import('../../src/pki/kubeconfig.ts');
  const { startAgentCluster } = await import('./agent-helpers.ts');
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');
  const none = spawnSync(process.execPath, [bin, 'agent', '--node', 'x'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '' } });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /--kubeconfig is required/);
  const missing = missingForRunc();
  if (missing.length) {
    if (process.env.PORTCULLIS_REQUIRE_ALL === '1') throw new Error(`portcullis agent needs: ${missing.join('; ')} (PORTCULLIS_REQUIRE_ALL=1)`);
    t.skip(`skipped: portcullis agent needs ${missing.join('; ')}`);
    return;
  }
  const ac = await startAgentCluster();
  try {
    const kubeconfig = join(ac.dir, 'bootstrap.kubeconfig');
    writeKubeconfig(kubeconfig, renderKubeconfig({ server: ac.c.cp.url, caCertPem: ac.c.cp.pki.caCertPem, token: ac.token, userName: 'kubelet-bootstrap' }));
    const child = spawn(process.execPath, [bin, 'agent', '--node', 'cli-node', '--kubeconfig', kubeconfig, '--data-dir', join(ac.dir, 'cli-node'), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await eventually(async () => out.includes('node cli-node joined'), 'the agent says it joined', 400, 100).catch((e) => {
        throw new Error(`${(e as Error).message}; stdout: ${out}; stderr: ${err.slice(0, 2000)}`);
      });
      await eventually(async () => {
        const n = await ac.admin.get<K8sObject>(resources.nodes, '', 'cli-node');
        return n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
      }, 'the Node is Ready');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  } finally {
    await ac.close();
  }
});
