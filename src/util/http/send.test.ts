import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect as connectTcp, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createCA, type CertKeyPem } from '../../pki/ca.ts';
import { issueCert } from '../../pki/certs.ts';
import { AgentPool, createAgent } from './agent-pool.ts';
import { goWords } from './go-words.ts';
import { HttpStatusError, JsonEndpoint, NotJsonError } from './json-endpoint.ts';
import { HttpClientError, send, type HttpRequest } from './send.ts';

const NOW = new Date();
let ca: CertKeyPem;
let otherCa: CertKeyPem;
let server: Server;
let port: number;
/** A TCP server that accepts and never speaks TLS. */
let mute: TcpServer;
let mutePort: number;
const muteSockets = new Set<Socket>();
/** Connections the HTTPS server accepted; requests by path. */
let connections = 0;
const hits = new Map<string, number>();
/** Sockets that already served one /drop-second request. */
const dropped = new WeakSet<object>();

const ROUTES: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
  '/text': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('<html>not json</html>'),
  '/big': (_req, res) => res.writeHead(200).end('x'.repeat(4096)),
  '/redirect': (_req, res) => res.writeHead(302, { location: '/json' }).end(),
  '/error': (_req, res) => res.writeHead(500).end('boom'),
  '/silent': () => {},
  '/late': (_req, res) => void setTimeout(() => res.writeHead(200).end('late'), 150),
  '/trickle': (_req, res) => {
    res.writeHead(200);
    const t = setInterval(() => res.write('x'), 20);
    res.on('close', () => clearInterval(t));
  },
  // The second request on a kept-alive connection finds it closed, as when the server's idle
  // timeout and the client's reuse cross.
  '/drop-second': (req, res) => {
    if (dropped.has(req.socket)) return void req.socket.destroy();
    dropped.add(req.socket);
    res.writeHead(200).end('first');
  },
};

before(async () => {
  ca = createCA({ commonName: 'http-ca', now: NOW, validityDays: 2 });
  otherCa = createCA({ commonName: 'other-ca', now: NOW, validityDays: 2 });
  const serving = issueCert(ca, { commonName: 'server', usage: 'server', now: NOW, validityDays: 2 });
  server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    req.resume();
    req.on('end', () => (ROUTES[req.url ?? ''] ?? ROUTES['/json']!)(req, res));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  mute = createTcpServer((s) => muteSockets.add(s));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  mutePort = (mute.address() as AddressInfo).port;
});

after(() => {
  server.closeAllConnections();
  server.close();
  for (const s of muteSockets) s.destroy();
  mute.close();
});

const pool = new AgentPool();
after(() => pool.close());

function req(path: string, more: Partial<HttpRequest> = {}): HttpRequest {
  return { agent: pool.agentFor('127.0.0.1', port, { caPem: ca.certPem }), method: 'GET', host: '127.0.0.1', port, path, timeoutMs: 5000, maxResponseBytes: 1024, ...more };
}

async function failure(p: Promise<unknown>): Promise<HttpClientError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof HttpClientError, `want an HttpClientError, got ${String(err)}`);
  return err;
}

test('an answer is read whole; connections are kept alive between requests', async () => {
  const before = connections;
  for (let i = 0; i < 3; i++) {
    const res = await send(req('/json'));
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), '{"ok":true}');
  }
  assert.equal(connections - before, 1);
});

test('the whole-exchange deadline covers an answer that trickles', async () => {
  const err = await failure(send(req('/trickle', { timeoutMs: 300, maxResponseBytes: 1 << 20 })));
  assert.equal(err.kind, 'deadline');
  assert.equal(err.answered, true);
  assert.equal(goWords(err, '127.0.0.1', port), 'context deadline exceeded');
  // A Go caller whose limit is its http.Client's Timeout says which phase it struck in.
  assert.equal(goWords(err, '127.0.0.1', port, { clientTimeout: true }), 'context deadline exceeded (Client.Timeout or context cancellation while reading body)');
  const silent = await failure(send(req('/silent', { timeoutMs: 200 })));
  assert.equal(silent.answered, false);
  assert.equal(goWords(silent, '127.0.0.1', port, { clientTimeout: true }), 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)');
});

test('an idle limit fails a silent server; the connect limit a handshake that never ends', async () => {
  const idle = await failure(send(req('/silent', { timeoutMs: undefined, idleTimeoutMs: 200 })));
  assert.equal(idle.kind, 'idle-timeout');
  const agent = pool.agentFor('127.0.0.1', mutePort, { caPem: ca.certPem });
  const conn = await failure(send({ ...req('/json'), agent, port: mutePort, connectTimeoutMs: 200 }));
  assert.equal(conn.kind, 'connect-timeout');
  assert.equal(conn.refused, true);
  assert.equal(goWords(conn, '127.0.0.1', mutePort), `dial tcp 127.0.0.1:${mutePort}: i/o timeout`);
  // The connect limit ends with the handshake: a slow answer on a new connection is not cut by it.
  const fresh = createAgent({ caPem: ca.certPem });
  assert.equal((await send({ ...req('/late'), agent: fresh, connectTimeoutMs: 50 })).body.toString(), 'late');
  fresh.destroy();
  await assert.rejects(() => send({ ...req('/json'), timeoutMs: undefined }), /needs timeoutMs or idleTimeoutMs/);
});

test('a request that waited for a busy kept-alive connection is not held to the connect limit, nor leaves a listener on it', async () => {
  // One connection: the second request queues in the agent and gets the first one's connection
  // once it is free. Node does not mark such a socket reused (only one taken from the free list),
  // so judging "new connection" by reusedSocket armed the connect timer on an established
  // connection: a slow answer failed as a connect timeout, flagged refused (so retried as if
  // nothing had been sent), and every such request left a secureConnect listener on the socket.
  const one = createAgent({ caPem: ca.certPem }, { maxSockets: 1 });
  try {
    const [a, b] = await Promise.all([send({ ...req('/json'), agent: one, connectTimeoutMs: 50 }), send({ ...req('/late'), agent: one, connectTimeoutMs: 50 })]);
    assert.equal(a.status, 200);
    assert.equal(b.body.toString(), 'late');
    const sockets = Object.values(one.freeSockets).flat();
    assert.equal(sockets.length, 1);
    for (let i = 0; i < 5; i++) await Promise.all([send({ ...req('/json'), agent: one, connectTimeoutMs: 1000 }), send({ ...req('/json'), agent: one, connectTimeoutMs: 1000 })]);
    assert.equal(sockets[0]!.listenerCount('secureConnect'), 0);
  } finally {
    one.destroy();
  }
});

test('an answer over the size limit fails instead of being buffered', async () => {
  const err = await failure(send(req('/big')));
  assert.equal(err.kind, 'too-large');
  assert.match(err.message, /larger than 1024 bytes/);
  assert.equal((await send(req('/big', { maxResponseBytes: 4096 }))).body.length, 4096);
});

test('a server certificate from another CA fails verification, in Go words', async () => {
  const agent = pool.agentFor('127.0.0.1', port, { caPem: otherCa.certPem });
  const err = await failure(send({ ...req('/json'), agent }));
  assert.equal(err.kind, 'network');
  assert.equal(goWords(err, '127.0.0.1', port), 'tls: failed to verify certificate: x509: certificate signed by unknown authority');
  // The name checked is the one asked for, not whatever the certificate says.
  const wrongName = pool.agentFor('127.0.0.1', port, { caPem: ca.certPem, serverName: 'elsewhere.example' });
  const named = await failure(send({ ...req('/json'), agent: wrongName }));
  assert.match(goWords(named, '127.0.0.1', port), /^tls: failed to verify certificate: x509: .*elsewhere\.example/);
});

test('a refused connection is refused, in Go words', async () => {
  const closed = createTcpServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const p = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const err = await failure(send({ ...req('/json'), agent: pool.agentFor('127.0.0.1', p, { caPem: ca.certPem }), port: p }));
  assert.equal(err.refused, true);
  assert.equal(goWords(err, '127.0.0.1', p), `dial tcp 127.0.0.1:${p}: connect: connection refused`);
});

test('a request on a kept-alive connection the server closed is sent again on a new one', async () => {
  const agent = createAgent({ caPem: ca.certPem });
  try {
    assert.equal((await send({ ...req('/drop-second'), agent })).body.toString(), 'first');
    const before = hits.get('/drop-second') ?? 0;
    assert.equal((await send({ ...req('/drop-second'), agent })).body.toString(), 'first');
    assert.equal((hits.get('/drop-second') ?? 0) - before, 2);
    // A caller with its own retries gets the failure; the request was written, so not refused.
    const err = await failure(send({ ...req('/drop-second'), agent, resendOnStale: false }));
    assert.equal(err.refused, false);
  } finally {
    agent.destroy();
  }
});

test('a POST the server read before closing its kept-alive connection is not sent again (Go: not replayable), unless it carries an Idempotency-Key', async () => {
  const agent = createAgent({ caPem: ca.certPem });
  try {
    const post = { ...req('/drop-second'), agent, method: 'POST', body: '{"kind":"AdmissionReview"}' };
    assert.equal((await send(post)).body.toString(), 'first');
    const before = hits.get('/drop-second') ?? 0;
    const err = await failure(send(post));
    assert.equal(err.code, 'ECONNRESET');
    assert.equal(err.refused, false);
    assert.equal((hits.get('/drop-second') ?? 0) - before, 1, 'the webhook saw the review once');
    assert.equal((await send(post)).body.toString(), 'first');
    const keyed = { ...post, headers: { 'Idempotency-Key': 'k1' } };
    assert.equal((await send(keyed)).body.toString(), 'first');
  } finally {
    agent.destroy();
  }
});

test('a POST on a kept-alive connection the server reset before reading it is sent again: nothing of it was written (Go: nothingWrittenError)', async () => {
  // A TCP relay in front of the server: resetting its client side is the server closing the
  // idle connection (with RST) before the next request arrives.
  const relayed = new Set<Socket>();
  const relay = createTcpServer((c) => {
    relayed.add(c);
    const b = connectTcp(port, '127.0.0.1');
    c.pipe(b).pipe(c);
    c.on('error', () => b.destroy());
    b.on('error', () => c.destroy());
    c.on('close', () => { relayed.delete(c); b.destroy(); });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const relayPort = (relay.address() as AddressInfo).port;
  const agent = createAgent({ caPem: ca.certPem });
  try {
    const post = { ...req('/json'), agent, port: relayPort, method: 'POST', body: '{"kind":"AdmissionReview"}' };
    await send(post);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(relayed.size, 1);
    const before = hits.get('/json') ?? 0;
    const beforeConnections = connections;
    // The reset lands after the agent picked the idle connection (Node 24 drops one whose close
    // it can already see) and before the request is written, as when the two cross on the wire.
    const reuse = agent.reuseSocket.bind(agent);
    agent.reuseSocket = (sock, r) => {
      for (const c of relayed) c.resetAndDestroy();
      reuse(sock, r);
    };
    const res = await send(post);
    assert.equal(res.status, 200);
    assert.equal((hits.get('/json') ?? 0) - before, 1);
    assert.equal(connections - beforeConnections, 1, 'sent on a new connection');
    // Without the resend, the caller learns that nothing reached the server.
    await new Promise((r) => setTimeout(r, 20));
    const err = await failure(send({ ...post, resendOnStale: false }));
    assert.equal(err.refused, true);
  } finally {
    agent.destroy();
    relay.close();
  }
});

test('an aborted request fails at once', async () => {
  const ac = new AbortController();
  const p = send(req('/silent', { signal: ac.signal }));
  setTimeout(() => ac.abort(), 50);
  assert.equal((await failure(p)).kind, 'aborted');
});

test('JsonEndpoint: JSON in and out; non-2xx, redirects and non-JSON answers are typed failures', async () => {
  const at = (path: string) => new JsonEndpoint({ url: new URL(`https://127.0.0.1:${port}${path}`), caPem: ca.certPem, token: 'tok' });
  const o = { timeoutMs: 5000, maxResponseBytes: 1024 };
  const ok = at('/json');
  assert.deepEqual(await ok.postJson({ a: 1 }, o), { ok: true });
  ok.close();
  const text = at('/text');
  await assert.rejects(text.postJson({}, o), (e: unknown) => e instanceof NotJsonError);
  text.close();
  const error = at('/error');
  await assert.rejects(error.postJson({}, o), (e: unknown) => e instanceof HttpStatusError && e.status === 500 && e.body === 'boom');
  error.close();
  const before = hits.get('/json') ?? 0;
  const redirect = at('/redirect');
  await assert.rejects(redirect.postJson({}, o), (e: unknown) => e instanceof HttpStatusError && e.status === 302);
  redirect.close();
  assert.equal(hits.get('/json') ?? 0, before, 'the redirect was not followed');
  assert.throws(() => new JsonEndpoint({ url: new URL('http://127.0.0.1/') }), /must be an https URL/);
});

test('the agent pool is bounded: the least recently used agent is retired', () => {
  const p = new AgentPool({ maxAgents: 2 });
  const a = p.agentFor('a.example', 443, { caPem: ca.certPem });
  const b = p.agentFor('b.example', 443, { caPem: ca.certPem });
  assert.equal(p.agentFor('a.example', 443, { caPem: ca.certPem }), a, 'same endpoint and TLS material: same agent');
  assert.notEqual(p.agentFor('a.example', 443, { caPem: otherCa.certPem }), a, 'other TLS material: another agent');
  assert.equal(p.size, 2);
  // a was used more recently than b, so b went; a's other-CA sibling then pushes out a.
  assert.equal((b as unknown as { keepAlive: boolean }).keepAlive, false);
  assert.equal((a as unknown as { keepAlive: boolean }).keepAlive, true);
  p.agentFor('c.example', 443, {});
  assert.equal(p.size, 2);
  assert.equal((a as unknown as { keepAlive: boolean }).keepAlive, false);
  assert.throws(() => new AgentPool({ maxAgents: 0 }), /maxAgents must be a positive integer/);
  assert.throws(() => p.agentFor('d.example', 443, { certPem: 'x' }), /both a client certificate and its key/);
  p.close();
});

test('the pool key: the same PEM text in another string finds the same agent, every part of the material counts, and past the digest bound the same agents are found', () => {
  const p = new AgentPool({ maxAgents: 2 });
  const copy = (s: string) => Buffer.from(s).toString();
  const a = p.agentFor('a.example', 443, { caPem: ca.certPem, certPem: ca.certPem, keyPem: ca.keyPem, serverName: 'x' });
  assert.equal(p.agentFor('a.example', 443, { caPem: copy(ca.certPem), certPem: copy(ca.certPem), keyPem: copy(ca.keyPem), serverName: 'x' }), a, 'equal text, other strings');
  for (const other of [
    { caPem: ca.certPem, certPem: ca.certPem, keyPem: ca.keyPem, serverName: 'y' },
    { caPem: otherCa.certPem, certPem: ca.certPem, keyPem: ca.keyPem, serverName: 'x' },
    { caPem: ca.certPem, certPem: otherCa.certPem, keyPem: otherCa.keyPem, serverName: 'x' },
  ]) {
    assert.notEqual(p.agentFor('a.example', 443, other), a);
    assert.equal(p.agentFor('a.example', 443, { caPem: ca.certPem, certPem: ca.certPem, keyPem: ca.keyPem, serverName: 'x' }), a);
  }
  assert.notEqual(p.agentFor('a.example', 444, { caPem: ca.certPem, certPem: ca.certPem, keyPem: ca.keyPem, serverName: 'x' }), a, 'another port');
  assert.equal(p.agentFor('a.example', 443, { caPem: ca.certPem, certPem: ca.certPem, keyPem: ca.keyPem, serverName: 'x' }), a, 'still held: used most recently');
  // Fourteen CA bundles, more than the 4 x maxAgents PEM digests kept: the memo is emptied on the way.
  const bundles: string[] = [];
  for (let n = 1; n <= 3; n++) for (let bits = 0; bits < 2 ** n; bits++) bundles.push(Array.from({ length: n }, (_, i) => ((bits >> i) & 1 ? otherCa : ca).certPem).join(''));
  for (const bundle of bundles) {
    p.agentFor('b.example', 443, { caPem: bundle });
    assert.equal(p.agentFor('a.example', 443, { caPem: copy(ca.certPem), certPem: ca.certPem, keyPem: ca.keyPem, serverName: 'x' }), a);
  }
  p.close();
});
