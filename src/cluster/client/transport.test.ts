import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { createCA } from '../../pki/ca.ts';
import { issueCert } from '../../pki/certs.ts';
import { HttpsTransport } from './transport.ts';

// A server that holds every /slow answer until released and keeps /stream open, counting TLS
// connections and the /slow requests it holds at once; /auth answers the Authorization it got.
let server: https.Server;
let url = '';
let caPem = '';
let connections = 0;
let held: ServerResponse[] = [];
let maxHeld = 0;
let onHeld: (() => void) | undefined;
const streams: ServerResponse[] = [];

before(async () => {
  const now = new Date();
  const ca = createCA({ commonName: 'test-ca', now, validityDays: 1 });
  caPem = ca.certPem;
  const cert = issueCert(ca, { commonName: 'localhost', usage: 'server', now, validityDays: 1 });
  server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    req.resume();
    req.on('end', () => {
      // Answers with the Authorization header it received (the tokenFile tests).
      if (req.url === '/auth') {
        res.end(req.headers.authorization ?? '');
        return;
      }
      if (req.url === '/trickle') {
        res.writeHead(200);
        const t = setInterval(() => res.write('x'), 20);
        res.on('close', () => clearInterval(t));
        return;
      }
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{}\n');
        streams.push(res);
        return;
      }
      held.push(res);
      maxHeld = Math.max(maxHeld, held.length);
      onHeld?.();
    });
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  for (const s of streams) s.end();
  server.close();
});

const heldReaches = (n: number) => new Promise<void>((resolve) => {
  const check = () => {
    if (held.length >= n) (onHeld = undefined, resolve());
  };
  onHeld = check;
  check();
});

test('ordinary requests share at most maxConnections connections; a watch stream has its own and takes none of them', async () => {
  const t = new HttpsTransport({ server: url, identity: { caPem, token: 'tok' }, userAgent: 'unit', maxConnections: 2, maxRetries: 0 });
  try {
    const ac = new AbortController();
    const s = await t.stream({ method: 'GET', path: '/stream', idempotent: true }, ac.signal);
    assert.equal(s.status, 200);
    const calls = Array.from({ length: 6 }, () => t.request({ method: 'GET', path: '/slow', idempotent: true }));
    // Release answers two at a time as the pool lets them through.
    for (let answered = 0; answered < 6;) {
      await heldReaches(Math.min(2, 6 - answered));
      for (const r of held.splice(0)) (r.end('{}'), answered++);
    }
    const results = await Promise.all(calls);
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    assert.equal(maxHeld, 2, 'no more than maxConnections requests reached the server at once');
    assert.equal(connections, 3, 'two pooled connections reused for six requests, and the stream\'s own');
    s.res?.destroy();
  } finally {
    t.close();
  }
});

test('maxConnections must be a positive integer', () => {
  assert.throws(() => new HttpsTransport({ server: url, identity: { caPem, token: 'tok' }, userAgent: 'unit', maxConnections: 0 }), /maxConnections must be a positive integer/);
});

test('after a burst, idle connections beyond maxIdleConnections are closed; the others are reused', async () => {
  const t = new HttpsTransport({ server: url, identity: { caPem, token: 'tok' }, userAgent: 'unit', maxConnections: 4, maxIdleConnections: 1, maxRetries: 0 });
  try {
    const before = connections;
    const calls = Array.from({ length: 4 }, () => t.request({ method: 'GET', path: '/slow', idempotent: true }));
    await heldReaches(4);
    for (const r of held.splice(0)) r.end('{}');
    await Promise.all(calls);
    assert.equal(connections - before, 4, 'the burst had its 4 connections');
    const idle = Object.values(t.agent.freeSockets).reduce((n, l) => n + (l?.length ?? 0), 0);
    assert.equal(idle, 1, 'one idle connection kept');
    const next = t.request({ method: 'GET', path: '/slow', idempotent: true });
    await heldReaches(1);
    held.splice(0)[0]!.end('{}');
    assert.equal((await next).status, 200);
    assert.equal(connections - before, 4, 'the next request reused the kept one');
  } finally {
    t.close();
  }
});

test('identity.serverName is the name the server certificate is checked against (kubeconfig tls-server-name)', async () => {
  const wrong = new HttpsTransport({ server: url, identity: { caPem, token: 'tok', serverName: 'not-this-server.example' }, userAgent: 'unit', maxRetries: 0, requestTimeoutMs: 10_000 });
  try {
    await assert.rejects(wrong.request({ method: 'GET', path: '/slow', idempotent: true }), /not-this-server\.example/);
  } finally {
    wrong.close();
  }
  // The serving certificate names localhost (and 127.0.0.1): checked as localhost, it passes.
  const right = new HttpsTransport({ server: url, identity: { caPem, token: 'tok', serverName: 'localhost' }, userAgent: 'unit', maxRetries: 0 });
  try {
    const call = right.request({ method: 'GET', path: '/slow', idempotent: true });
    await heldReaches(1);
    held.splice(0)[0]!.end('{}');
    assert.equal((await call).status, 200);
  } finally {
    right.close();
  }
});

// identity.tokenFile: re-read as client-go's bearerAuthRoundTripper with a cached file token source
// (every minute, the last good token kept), checked on the Authorization header the server gets.
let tokenDir = '';
before(() => {
  tokenDir = mkdtempSync(join(tmpdir(), 'transport-token-'));
});
after(() => rmSync(tokenDir, { recursive: true, force: true }));

const sentAuth = async (t: HttpsTransport): Promise<string> => (await t.request({ method: 'GET', path: '/auth', idempotent: true })).body.toString();

test('a tokenFile token is read again after a minute (less leeway), and kept while the file cannot be read', async () => {
  const file = join(tokenDir, 'token');
  writeFileSync(file, 'first\n');
  let now = 5_000_000;
  const t = new HttpsTransport({ server: url, identity: { caPem, tokenFile: file }, userAgent: 'unit', maxRetries: 0, now: () => now });
  try {
    assert.equal(await sentAuth(t), 'Bearer first');
    writeFileSync(file, 'second\n');
    now += 49_000;
    assert.equal(await sentAuth(t), 'Bearer first', 'within the cache period the old token is sent');
    now += 1_000;
    assert.equal(await sentAuth(t), 'Bearer second', 'after 50 s the rotated file is read');
    unlinkSync(file);
    now += 60_000;
    assert.equal(await sentAuth(t), 'Bearer second', 'a file that went away leaves the last token in use');
    writeFileSync(file, 'third');
    assert.equal(await sentAuth(t), 'Bearer third', 'and the next request after it is back reads it');
  } finally {
    t.close();
  }
});

test('token beside tokenFile: the file wins when readable, the token covers when not (client-go rest config keeps both)', async () => {
  const file = join(tokenDir, 'both');
  writeFileSync(file, 'from-file');
  const both = new HttpsTransport({ server: url, identity: { caPem, token: 'inline', tokenFile: file }, userAgent: 'unit', maxRetries: 0 });
  const missing = new HttpsTransport({ server: url, identity: { caPem, token: 'inline', tokenFile: join(tokenDir, 'absent') }, userAgent: 'unit', maxRetries: 0 });
  try {
    assert.equal(await sentAuth(both), 'Bearer from-file');
    assert.equal(await sentAuth(missing), 'Bearer inline');
  } finally {
    both.close();
    missing.close();
  }
});

test('tokenFile alone that cannot be read fails the construction, as NewBearerAuthWithRefreshRoundTripper', () => {
  assert.throws(() => new HttpsTransport({ server: url, identity: { caPem, tokenFile: join(tokenDir, 'absent') }, userAgent: 'unit' }), /ENOENT/);
  const empty = join(tokenDir, 'empty');
  writeFileSync(empty, '\n');
  assert.throws(() => new HttpsTransport({ server: url, identity: { caPem, tokenFile: empty }, userAgent: 'unit' }), /read empty token from file/);
});

test('attemptDeadlineMs bounds an attempt whose answer trickles (the idle limit alone does not)', async () => {
  const t = new HttpsTransport({ server: url, identity: { caPem, token: 'tok' }, userAgent: 'unit', maxRetries: 0, requestTimeoutMs: 10_000, attemptDeadlineMs: 200 });
  await assert.rejects(t.request({ method: 'POST', path: '/trickle', body: '{}', idempotent: false }), /no complete answer within 200 ms/);
  t.close();
});

test('connectTimeoutMs bounds a handshake that never completes; counted as refused, so a POST is retried', async () => {
  const { createServer: createTcpServer } = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const mute = createTcpServer((s) => sockets.push(s));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  const delays: number[] = [];
  const timers = { setTimeout: (f: () => void, ms: number) => (delays.push(ms), setTimeout(f, 0)), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  const t = new HttpsTransport({ server: `https://127.0.0.1:${(mute.address() as AddressInfo).port}`, identity: { caPem, token: 'tok' }, userAgent: 'unit', maxRetries: 1, connectTimeoutMs: 100, timers, random: () => 0 });
  await assert.rejects(t.request({ method: 'POST', path: '/x', body: '{}', idempotent: false }), /no connection within 100 ms/);
  assert.equal(delays.length, 1, 'retried once: nothing was sent');
  assert.equal(sockets.length, 2);
  t.close();
  for (const s of sockets) s.destroy();
  mute.close();
});
