import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { serviceEnvFor } from './service-env.ts';

const svc = (namespace: string, name: string, clusterIP: string, ports: Array<{ port: number; name?: string; protocol?: string }>): Service => ({ metadata: { namespace, name }, spec: { clusterIP, ports } });

test('the kubelet\'s Service variables: own namespace with service links, default/kubernetes always, headless skipped', () => {
  const services = [
    svc('default', 'kubernetes', '10.96.0.1', [{ port: 443, name: 'https' }]),
    svc('app', 'my-db', '10.96.0.9', [{ port: 5432, name: 'pg' }, { port: 53, protocol: 'UDP' }]),
    svc('app', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'elsewhere', '10.96.0.7', [{ port: 80 }]),
  ];
  const env = Object.fromEntries(serviceEnvFor('app', true, services).map((e) => [e.name, e.value]));
  assert.equal(env.KUBERNETES_SERVICE_HOST, '10.96.0.1');
  assert.equal(env.KUBERNETES_SERVICE_PORT, '443');
  assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
  assert.equal(env.KUBERNETES_PORT, 'tcp://10.96.0.1:443');
  assert.equal(env.KUBERNETES_PORT_443_TCP_ADDR, '10.96.0.1');
  assert.equal(env.MY_DB_SERVICE_HOST, '10.96.0.9');
  assert.equal(env.MY_DB_SERVICE_PORT, '5432');
  assert.equal(env.MY_DB_SERVICE_PORT_PG, '5432');
  assert.equal(env.MY_DB_PORT_53_UDP, 'udp://10.96.0.9:53');
  assert.equal(env.MY_DB_PORT_53_UDP_PROTO, 'udp');
  assert.equal(env.HEADLESS_SERVICE_HOST, undefined);
  assert.equal(env.ELSEWHERE_SERVICE_HOST, undefined);
  const off = serviceEnvFor('app', false, services).map((e) => e.name);
  assert.ok(off.includes('KUBERNETES_SERVICE_HOST'));
  assert.ok(!off.includes('MY_DB_SERVICE_HOST'), 'enableServiceLinks: false');
});
