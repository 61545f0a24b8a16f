/**
 * The user an aggregated API server is told of: extra keys escaped as client-go escapes them (a
 * key Node could not send as a header name failed the request, then crashed the server when the
 * client left), and a user Node cannot put in headers at all fails that request alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UserInfo } from '../../authn/types.ts';
import { createCA } from '../../pki/ca.ts';
import { issueCert } from '../../pki/certs.ts';
import { AgentPool } from '../../util/http/agent-pool.ts';
import { proxyTo } from './proxy.ts';
import { headerKeyEscape } from './transport.ts';

test('extra keys are escaped as client-go escapes them: non-token bytes and % as %XX of their UTF-8', () => {
  assert.equal(headerKeyEscape('scopes'), 'scopes');
  assert.equal(headerKeyEscape('acme.com/project'), 'acme.com%2Fproject');
  assert.equal(headerKeyEscape('a(b)'), 'a%28b%29');
  assert.equal(headerKeyEscape('100%'), '100%25');
  assert.equal(headerKeyEscape("it's~*"), "it's~*");
  assert.equal(headerKeyEscape('équipe'), '%C3%A9quipe');
  assert.equal(decodeURIComponent(headerKeyEscape('a(b)/é%')), 'a(b)/é%');
});

const NOW = new Date();
let backend: HttpsServer;
let front: HttpServer;
let frontPort = 0;
let pool: AgentPool;
let user: UserInfo = { username: 'alice', groups: [] };

before(async () => {
  const ca = createCA({ commonName: 'backend-ca', now: NOW, validityDays: 1 });
  const serving = issueCert(ca, { commonName: 'api', usage: 'server', dnsNames: ['api.default.svc'], now: NOW, validityDays: 1 });
  pool = new AgentPool();
  backend = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const extra = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-remote-extra-')));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(extra));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const spec = { caBundle: Buffer.from(ca.certPem).toString('base64') };
  const endpoint = { host: '127.0.0.1', port: (backend.address() as AddressInfo).port, serverName: 'api.default.svc' };
  front = createHttpServer((req, res) => {
    void proxyTo({ apiService: { spec }, endpoint, method: 'GET', path: req.url ?? '/', headers: req.headers, user, agents: pool }, res);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontPort = (front.address() as AddressInfo).port;
});

after(() => {
  pool.close();
  backend.closeAllConnections();
  backend.close();
  front.closeAllConnections();
  front.close();
});

function get(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port: frontPort, path: '/apis/x/v1' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('a user whose extra key holds characters no header name may hold reaches the backend, escaped', async () => {
  user = { username: 'alice', groups: [], extra: { 'a(b)': ['v1'], 'acme.com/project': ['p'] } };
  const r = await get();
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(JSON.parse(r.body), { 'x-remote-extra-a%28b%29': 'v1', 'x-remote-extra-acme.com%2fproject': 'p' });
});

test('a user Node cannot write into headers fails that request (503), and the server lives on', async () => {
  user = { username: 'alice', groups: [], extra: { team: ['line\nbreak'] } };
  const r = await get();
  assert.equal(r.status, 503, r.body);
  assert.equal(JSON.parse(r.body).message, 'service unavailable');
  // The front's answer is complete and its client gone: nothing left to throw.
  await new Promise((resolve) => setImmediate(resolve));
  user = { username: 'alice', groups: [] };
  assert.equal((await get()).status, 200);
});
