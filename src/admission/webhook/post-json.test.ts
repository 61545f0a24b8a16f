import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCA, type CertKeyPem } from '../../pki/ca.ts';
import { issueCert } from '../../pki/certs.ts';
import { AgentPool } from '../../util/http/agent-pool.ts';
import { postJson, PostError } from './post-json.ts';
import type { CallTarget } from './resolve-target.ts';

const NOW = new Date();
let ca: CertKeyPem;
let server: Server;
let port: number;
let connections = 0;
const hosts: string[] = [];
const agents: string[] = [];

before(async () => {
  ca = createCA({ commonName: 'hook-ca', now: NOW, validityDays: 1 });
  // A Service-backed hook: its certificate names the Service, not the address it is reached on.
  const cert = issueCert(ca, { commonName: 'hook', usage: 'server', dnsNames: ['hook.ns.svc'], now: NOW, validityDays: 1 });
  server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    hosts.push(String(req.headers.host));
    agents.push(String(req.headers['user-agent']));
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/slow')) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function serviceTarget(caPem: string): CallTarget {
  const url = new URL('https://hook.ns.svc:443/validate');
  return { url, display: url.href, connectHost: '127.0.0.1', connectPort: port, servername: 'hook.ns.svc', ca: caPem };
}

test('calls to one webhook share a kept-alive connection; the Service name is the Host and the name checked', async () => {
  const pool = new AgentPool();
  const before = connections;
  for (let i = 0; i < 3; i++) {
    const r = await postJson(serviceTarget(ca.certPem), '/validate?timeout=10s', '{}', 5000, pool);
    assert.deepEqual(r, { status: 200, body: '{"ok":true}' });
  }
  assert.equal(connections - before, 1);
  assert.deepEqual(hosts.slice(-3), ['hook.ns.svc', 'hook.ns.svc', 'hook.ns.svc']);
  // upstream's webhook client manager (setGlobalDefaults) names itself so.
  assert.deepEqual(agents.slice(-3), ['kube-apiserver-admission', 'kube-apiserver-admission', 'kube-apiserver-admission']);
  pool.close();
});

test('failures are PostErrors in Go words: another caBundle, the deadline', async () => {
  const pool = new AgentPool();
  const other = createCA({ commonName: 'other-ca', now: NOW, validityDays: 1 });
  await assert.rejects(postJson(serviceTarget(other.certPem), '/validate', '{}', 5000, pool), (e: unknown) => e instanceof PostError && e.message === 'tls: failed to verify certificate: x509: certificate signed by unknown authority');
  assert.equal(pool.size, 1, 'the other caBundle has an agent of its own');
  await assert.rejects(postJson(serviceTarget(ca.certPem), '/slow', '{}', 200, pool), (e: unknown) => e instanceof PostError && e.message === 'context deadline exceeded');
  assert.equal(pool.size, 2);
  pool.close();
});
