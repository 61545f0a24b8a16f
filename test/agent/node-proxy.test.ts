/**
 * nodes/proxy through the API server, as `kubectl get --raw /api/v1/nodes/N/proxy/...` uses it:
 * the request goes to the node's agent endpoint with the API server's kubelet-client identity,
 * the agent authorizes that identity again (nodes/stats for /stats/summary) and its answer comes
 * back as it is (code, content type, body); a user without nodes/proxy is refused by the API
 * server. The agent endpoint is a test-started server on the fake runtime.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { proxiedRequest, splitSchemeNamePort } from '../../src/server/node-proxy/node-proxy.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { NODE, startStreamingCluster, type StreamingCluster } from './streaming-helpers.ts';

test('node names with a scheme and a port, as SplitSchemeNamePort reads them', () => {
  assert.deepEqual(splitSchemeNamePort('n1'), { scheme: '', name: 'n1' });
  assert.deepEqual(splitSchemeNamePort('n1:10250'), { scheme: '', name: 'n1', port: 10250 });
  assert.deepEqual(splitSchemeNamePort('https:n1:10250'), { scheme: 'https', name: 'n1', port: 10250 });
  assert.equal(splitSchemeNamePort('a:b:c:d'), undefined);
  assert.equal(splitSchemeNamePort('ftp:n1:1'), undefined);
  assert.equal(splitSchemeNamePort('n1:0'), undefined);
  assert.equal(splitSchemeNamePort(':10250'), undefined);
});

test('the proxied path and query are the client\'s raw ones (upstream passes RawQuery on unchanged)', () => {
  assert.deepEqual(proxiedRequest('/api/v1/nodes/n1/proxy/stats/summary?a=x%20y&b=1%2B1&c'), { path: '/stats/summary', query: 'a=x%20y&b=1%2B1&c' });
  assert.deepEqual(proxiedRequest('/api/v1/nodes/n1/proxy'), { path: '/', query: '' });
  assert.deepEqual(proxiedRequest('/api/v1/nodes/n1/proxy/a/?x=%3F'), { path: '/a/', query: 'x=%3F' });
});

describe('nodes/proxy', () => {
  let s: StreamingCluster;
  before(async () => {
    s = await startStreamingCluster();
    await s.startContainer({ name: 'web', uid: 'uid-web' }, 'app', 0, []);
  });
  after(() => s.close());

  test('/stats/summary reaches the agent and its JSON comes back as it is', async () => {
    const r = await s.c.admin.get(`/api/v1/nodes/${NODE}/proxy/stats/summary?only_cpu_and_memory=true`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.body.node.nodeName, NODE);
    assert.deepEqual(r.body.pods.map((p: { podRef: unknown }) => p.podRef), [{ name: 'web', namespace: 'default', uid: 'uid-web' }]);
    const metrics = await s.c.admin.get(`/api/v1/nodes/${NODE}/proxy/metrics/resource`);
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(metrics.text, /^node_cpu_usage_seconds_total /m);
  });

  test('the agent\'s refusals and misses come back with its code and text', async () => {
    const missing = await s.c.admin.get(`/api/v1/nodes/${NODE}/proxy/no/such/path`);
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '404 page not found');
    const bad = await s.c.admin.get('/api/v1/nodes/a:b:c:d/proxy/stats/summary');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'invalid node request "a:b:c:d"');
    const unknown = await s.c.admin.get('/api/v1/nodes/nope/proxy/stats/summary');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.message, 'nodes "nope" not found');
  });

  test('a port in the name: the agent\'s own is served (scheme ignored, as upstream), any other refused', async () => {
    for (const id of [`${NODE}:${s.server.port}`, `https:${NODE}:${s.server.port}`, `http:${NODE}:${s.server.port}`]) {
      const r = await s.c.admin.get(`/api/v1/nodes/${id}/proxy/stats/summary?only_cpu_and_memory=true`);
      assert.equal(r.status, 200, `${id}: ${r.text}`);
      assert.equal(r.body.node.nodeName, NODE);
    }
    // The node's address is this machine, where the API server listens too: without the check the
    // request would reach the API server itself as kube-apiserver-kubelet-client.
    const apiPort = new URL(s.c.cp.url).port;
    for (const id of [`${NODE}:${apiPort}`, `https:${NODE}:${apiPort}`]) {
      const r = await s.c.admin.get(`/api/v1/nodes/${id}/proxy/api/v1/nodes`);
      assert.equal(r.status, 400, `${id}: ${r.text}`);
      assert.equal(r.body.message, `nodes/proxy reaches only the node agent's own port of node "${NODE}", not port ${apiPort}`);
    }
  });

  test('discovery lists nodes/proxy as upstream does', async () => {
    const r = await s.c.admin.get('/api/v1');
    const entry = r.body.resources.find((x: { name: string }) => x.name === 'nodes/proxy');
    assert.deepEqual({ kind: entry?.kind, namespaced: entry?.namespaced, verbs: entry?.verbs }, { kind: 'NodeProxyOptions', namespaced: false, verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  });

  test('a user without nodes/proxy is refused by the API server', async () => {
    const r = await s.c.as('bob').get(`/api/v1/nodes/${NODE}/proxy/stats/summary`);
    assert.equal(r.status, 403);
    assert.equal(r.body.message, `nodes "${NODE}" is forbidden: User "bob" cannot get resource "nodes/proxy" in API group "" at the cluster scope`);
  });

  test('the /watch/ prefix does not reach a node or pod stream: a subject allowed only to watch gets 404, as upstream has no such route', async () => {
    const rbac = '/apis/rbac.authorization.k8s.io/v1';
    // Read-only collectors are often given list and watch on everything; '*' covers subresources.
    assert.equal((await s.c.admin.post(`${rbac}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'watch-everything' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['list', 'watch'] }] })).status, 201);
    assert.equal((await s.c.admin.post(`${rbac}/clusterrolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'watch-everything' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'watch-everything' }, subjects: [{ kind: 'User', name: 'watcher', apiGroup: 'rbac.authorization.k8s.io' }] })).status, 201);
    const watcher = s.c.as('watcher');
    for (const path of [`/api/v1/watch/nodes/${NODE}/proxy/stats/summary`, '/api/v1/watch/namespaces/default/pods/web/log?container=app']) {
      const r = await watcher.get(path);
      assert.equal(r.status, 404, `${path}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    // The ordinary paths still need get on the subresource.
    assert.equal((await watcher.get(`/api/v1/nodes/${NODE}/proxy/stats/summary`)).status, 403);
  });

  test('kubectl get --raw through the node proxy', { skip: kubectlSkip(33) }, async () => {
    const r = await runKubectl(33, s.kubeconfig('admin'), ['get', '--raw', `/api/v1/nodes/${NODE}/proxy/stats/summary`]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.node.nodeName, NODE);
    assert.equal(summary.pods[0].containers[0].name, 'app');
  });
});
