/**
 * portcullis up runs the controller manager and the scheduler in a worker thread: they still act,
 * through the API with their own identities (a Deployment gets its ReplicaSet and pods, pods are
 * bound to a Node, a Node gets its podCIDR), and the process stops cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnUp } from '../helpers/spawn-up.ts';
import type { TestClient } from '../helpers/client.ts';

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('controllers and scheduler in a worker thread act through the API', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-upw-'));
  const up = await spawnUp(dir, ['--local-agent=false']);
  const c: TestClient = up.client;
  try {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-test-node', labels: { 'kubernetes.io/hostname': 'worker-test-node' } }, status: { capacity: { cpu: '8', memory: '16Gi', pods: '110' }, allocatable: { cpu: '8', memory: '16Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] } };
    assert.equal((await c.post('/api/v1/nodes', node)).status, 201);
    const cidr = await until('the node IPAM controller gives the Node a podCIDR', async () => (await c.get('/api/v1/nodes/worker-test-node')).body.spec?.podCIDR as string | undefined);
    assert.match(cidr, /^10\.244\.\d+\.0\/24$/);
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
    assert.equal((await c.post('/apis/apps/v1/namespaces/default/deployments', dep)).status, 201);
    const pods = await until('two pods bound to the node', async () => {
      const l = (await c.get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).body.items as Array<{ spec: { nodeName?: string } }>;
      return l.length === 2 && l.every((p) => p.spec.nodeName === 'worker-test-node') ? l : undefined;
    });
    assert.equal(pods.length, 2);
    const lease = (await c.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler')).body;
    assert.ok(lease.spec?.holderIdentity, 'the scheduler in the worker holds its Lease');
  } finally {
    c.close();
    up.child.kill('SIGTERM');
    assert.equal(await up.exited, 0, 'a clean exit with the worker stopped');
    rmSync(dir, { recursive: true, force: true });
  }
});
