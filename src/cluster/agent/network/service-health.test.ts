/**
 * kube-proxy's healthCheckNodePort answers, on the loopback address (the netns test is under
 * test/agent); the service proxy keeps them following the informers and its rule loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { K8sObject } from '../../client/types.ts';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { resources } from '../../client/resources.ts';
import { ServiceHealthServer, healthBody, healthChecks } from './service-health.ts';
import { ServiceProxy } from './service-proxy.ts';
import { freePort } from '../../../../test/helpers/free-port.ts';

const svc = (name: string, extra: Record<string, unknown>): K8sObject => ({ metadata: { name, namespace: 'web' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '10.96.0.10', ports: [{ port: 80 }], ...extra } });
const slice = (service: string, endpoints: Array<{ ip: string; node: string; ready?: boolean }>, ports = [8080]): K8sObject => ({
  metadata: { name: `${service}-x`, namespace: 'web', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4', ports: ports.map((port) => ({ port })),
  endpoints: endpoints.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready ?? true } })),
} as K8sObject);

test('which Services get a health check, and their local ready endpoints (distinct ip:port, this node only)', () => {
  const checks = healthChecks(
    [svc('lb', { healthCheckNodePort: 32000 }), svc('cluster', { externalTrafficPolicy: 'Cluster', healthCheckNodePort: 32001 }), svc('np', { type: 'NodePort', healthCheckNodePort: 32002 }), svc('empty', { healthCheckNodePort: 32003 })],
    [slice('lb', [{ ip: '10.244.0.11', node: 'n1' }, { ip: '10.244.0.12', node: 'n1' }, { ip: '10.244.0.13', node: 'n1', ready: false }, { ip: '10.244.1.11', node: 'n2' }], [8080, 8443])],
    'n1',
  );
  assert.deepEqual(checks, [
    { namespace: 'web', name: 'lb', port: 32000, localEndpoints: 4 },
    { namespace: 'web', name: 'empty', port: 32003, localEndpoints: 0 },
  ]);
});

test('the body is kube-proxy\'s, byte for byte', () => {
  assert.equal(healthBody({ namespace: 'web', name: 'lb', localEndpoints: 2 }, true), '{\n\t"service": {\n\t\t"namespace": "web",\n\t\t"name": "lb"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}');
});

test('200 with local endpoints, 503 without or while the proxy is unhealthy; servers follow the Services', async () => {
  let healthy = true;
  const h = new ServiceHealthServer({ host: '127.0.0.1', proxyHealthy: () => healthy });
  const [p1, p2] = [await freePort(), await freePort()];
  const get = async (port: number) => {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: r.status, type: r.headers.get('content-type'), nosniff: r.headers.get('x-content-type-options'), body: JSON.parse(await r.text()) };
  };
  try {
    await h.sync([{ namespace: 'web', name: 'lb', port: p1, localEndpoints: 2 }, { namespace: 'web', name: 'none', port: p2, localEndpoints: 0 }]);
    assert.deepEqual(await get(p1), { status: 200, type: 'application/json', nosniff: 'nosniff', body: { service: { namespace: 'web', name: 'lb' }, localEndpoints: 2, serviceProxyHealthy: true } });
    assert.equal((await get(p2)).status, 503);
    healthy = false;
    assert.deepEqual(await get(p1).then((r) => [r.status, r.body.serviceProxyHealthy]), [503, false]);
    healthy = true;
    await h.sync([{ namespace: 'web', name: 'lb', port: p1, localEndpoints: 0 }]);
    assert.deepEqual(await get(p1).then((r) => [r.status, r.body.localEndpoints]), [503, 0], 'the count follows the endpoints on the same server');
    assert.deepEqual(h.ports(), [p1]);
    await assert.rejects(fetch(`http://127.0.0.1:${p2}/`), 'a Service gone closes its port');
  } finally {
    await h.stop();
  }
});

test('a port that cannot be bound is logged and tried again at the next sync', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  const errors: string[] = [];
  const h = new ServiceHealthServer({ host: '127.0.0.1', proxyHealthy: () => true, log: { error: (_o, m) => errors.push(m) } });
  try {
    await h.sync([{ namespace: 'web', name: 'lb', port, localEndpoints: 1 }]);
    assert.deepEqual(errors, [`failed to start healthcheck "web/lb" on port ${port}`]);
    assert.deepEqual(h.ports(), []);
    await new Promise((r) => blocker.close(r));
    await h.sync([{ namespace: 'web', name: 'lb', port, localEndpoints: 1 }]);
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200);
  } finally {
    await h.stop();
  }
});

const until = async (what: string, f: () => Promise<boolean>) => {
  for (let i = 0; i < 200; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never happened: ${what}`);
};

test('a LoadBalancer Service with externalTrafficPolicy Local is health-checked on its healthCheckNodePort; 503 while rules fail to load', async () => {
  const port = await freePort();
  const client = new FakeApiClient();
  const factory = fakeInformerFactory(client);
  let fail = false;
  const proxy = new ServiceProxy({ factory, nodeName: 'n1', healthChecks: { host: '127.0.0.1' }, apply: async () => { if (fail) throw new Error('nft: no'); } });
  const status = async () => (await fetch(`http://127.0.0.1:${port}/`)).status;
  try {
    client.seed(resources.services, { metadata: { name: 'lb', namespace: 'web' }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: port, clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] } } as K8sObject);
    await proxy.start();
    assert.deepEqual(proxy.healthCheckPorts(), [port]);
    assert.equal(await status(), 503, 'no local endpoint yet');
    await client.create(resources.endpointslices, 'web', { metadata: { name: 'lb-x', namespace: 'web', labels: { 'kubernetes.io/service-name': 'lb' } }, addressType: 'IPv4', ports: [{ port: 8080 }], endpoints: [{ addresses: ['10.244.0.11'], nodeName: 'n1', conditions: { ready: true } }] } as K8sObject);
    await until('200 with a local endpoint', async () => (await status()) === 200);
    fail = true;
    await client.update(resources.services, 'web', { ...(await client.get<K8sObject>(resources.services, 'web', 'lb')), metadata: { ...(await client.get<K8sObject>(resources.services, 'web', 'lb')).metadata, labels: { touched: 'yes' } } });
    await until('503 while the rules do not load', async () => (await status()) === 503);
    const body = JSON.parse(await (await fetch(`http://127.0.0.1:${port}/`)).text());
    assert.deepEqual(body, { service: { namespace: 'web', name: 'lb' }, localEndpoints: 1, serviceProxyHealthy: false });
  } finally {
    proxy.stop();
    factory.stop();
  }
});
