/**
 * The aggregation proxy's connections: a verified backend's are kept alive and shared (one TLS
 * handshake for many proxied requests), insecureSkipTLSVerify still connects to a backend no CA
 * vouches for (on a connection of its own), and a GET that finds its kept-alive connection closed
 * is sent again on a new one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createCA, type CertKeyPem } from '../../pki/ca.ts';
import { issueCert } from '../../pki/certs.ts';
import { AgentPool } from '../../util/http/agent-pool.ts';
import { proxyTo } from './proxy.ts';

const NOW = new Date();
let ca: CertKeyPem;
let backend: HttpsServer;
let front: HttpServer;
let backendPort = 0;
let frontPort = 0;
let connections = 0;
const seenSockets = new Set<Socket>();
let pool: AgentPool;
/** The APIService the front proxies with, set per test. */
let spec: Record<string, unknown> = {};

before(async () => {
  ca = createCA({ commonName: 'backend-ca', now: NOW, validityDays: 1 });
  const serving = issueCert(ca, { commonName: 'api', usage: 'server', dnsNames: ['api.default.svc'], now: NOW, validityDays: 1 });
  backend = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    // '/drop-second': the second request on a connection finds it closed, as when the backend's
    // idle timeout and the proxy's reuse cross.
    if (req.url === '/drop-second' && seenSockets.has(req.socket)) return void req.socket.destroy();
    seenSockets.add(req.socket);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: req.headers['x-remote-user'] })));
  });
  backend.on('secureConnection', () => connections++);
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as AddressInfo).port;
  front = createHttpServer((req, res) => {
    void proxyTo({ apiService: { spec }, endpoint: { host: '127.0.0.1', port: backendPort, serverName: 'api.default.svc' }, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, user: { username: 'alice', groups: [] }, agents: pool }, res);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontPort = (front.address() as AddressInfo).port;
});

after(() => {
  pool?.close();
  backend.closeAllConnections();
  backend.close();
  front.closeAllConnections();
  front.close();
});

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port: frontPort, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

test('proxied requests to a verified backend share one kept-alive connection', async () => {
  pool = new AgentPool({ maxSockets: Infinity });
  spec = { caBundle: Buffer.from(ca.certPem).toString('base64') };
  const before = connections;
  for (let i = 0; i < 3; i++) assert.deepEqual(await get('/apis/example.com/v1'), { status: 200, body: '{"user":"alice"}' });
  assert.equal(connections - before, 1);
  assert.equal(pool.size, 1);
  pool.close();
});

test('insecureSkipTLSVerify still reaches a backend no CA vouches for, outside the pool', async () => {
  pool = new AgentPool({ maxSockets: Infinity });
  spec = { insecureSkipTLSVerify: true };
  const before = connections;
  assert.equal((await get('/apis/example.com/v1')).status, 200);
  assert.equal((await get('/apis/example.com/v1')).status, 200);
  assert.equal(connections - before, 2);
  assert.equal(pool.size, 0);
  // Verified against another CA, the same backend is unavailable.
  spec = { caBundle: Buffer.from(createCA({ commonName: 'other', now: NOW, validityDays: 1 }).certPem).toString('base64') };
  assert.equal((await get('/apis/example.com/v1')).status, 503);
  pool.close();
});

test('a GET whose kept-alive connection turns out closed is sent again on a new one', async () => {
  pool = new AgentPool({ maxSockets: Infinity });
  spec = { caBundle: Buffer.from(ca.certPem).toString('base64') };
  const before = connections;
  assert.equal((await get('/drop-second')).status, 200);
  assert.deepEqual(await get('/drop-second'), { status: 200, body: '{"user":"alice"}' });
  assert.equal(connections - before, 2);
  pool.close();
});
