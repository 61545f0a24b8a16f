/**
 * The token cleaner in a running control plane, as its own identity
 * (system:serviceaccount:kube-system:token-cleaner) under upstream's bootstrap Role: an expired
 * bootstrap token Secret is deleted, one expiring a moment later goes when it expires, and an
 * unexpired one, one without an expiration, and an expired Secret of another type stay.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { until } from '../helpers/kubectl-session.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ controllers: ['tokencleaner'] });
});
after(() => c?.close());

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000', '');
const token = (id: string, expiration: string | undefined, type = 'bootstrap.kubernetes.io/token') => ({
  apiVersion: 'v1', kind: 'Secret', metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' }, type,
  stringData: { 'token-id': id, 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', ...(expiration ? { expiration } : {}) },
});
const exists = async (id: string) => (await c.admin.req('GET', `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}`)).status === 200;

test('expired bootstrap token Secrets are deleted through the API, others stay', async () => {
  const now = Date.now();
  for (const s of [token('expird', iso(now - 60_000)), token('soonxx', iso(now + 3_000)), token('later1', iso(now + 3_600_000)), token('never1', undefined), token('opaque', iso(now - 60_000), 'Opaque')]) {
    assert.equal((await c.admin.post('/api/v1/namespaces/kube-system/secrets', s)).status, 201, s.metadata.name);
  }
  await until('the expired token is deleted', async () => ((await exists('expird')) ? undefined : true));
  await until('the token expiring a moment later is deleted when it expires', async () => ((await exists('soonxx')) ? undefined : true));
  for (const id of ['later1', 'never1', 'opaque']) assert.ok(await exists(id), `${id} stays`);
});
