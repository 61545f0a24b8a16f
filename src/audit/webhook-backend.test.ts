/**
 * The webhook backend against real sockets: a live webhook gets EventLists in batches; a webhook
 * that accepts connections and never answers, and a port that refuses them, cost at most the
 * buffer: processEvents never waits, extra events are dropped and counted, failures counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createTcpServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA } from '../pki/ca.ts';
import { issueCert } from '../pki/certs.ts';
import { WebhookBackend } from './webhook-backend.ts';
import type { AuditEvent } from './types.ts';

const now = new Date();
const ca = createCA({ commonName: 'audit-test-ca', now, validityDays: 1 });
const serverCert = issueCert(ca, { commonName: 'webhook', usage: 'server', now, validityDays: 1 });
const clientCert = issueCert(ca, { commonName: 'kube-apiserver', usage: 'client', now, validityDays: 1 });

function kubeconfig(dir: string, port: number, tlsServerName?: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const path = join(dir, `webhook-${port}-${tlsServerName ?? ''}.yaml`);
  writeFileSync(path, `apiVersion: v1
kind: Config
clusters:
- name: audit
  cluster:
    server: https://127.0.0.1:${port}/audit
    certificate-authority-data: ${b64(ca.certPem)}${tlsServerName ? `\n    tls-server-name: ${tlsServerName}` : ''}
users:
- name: apiserver
  user:
    client-certificate-data: ${b64(clientCert.certPem)}
    client-key-data: ${b64(clientCert.keyPem)}
contexts:
- name: default
  context: {cluster: audit, user: apiserver}
current-context: default
`);
  return path;
}

function event(i: number): AuditEvent {
  return { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `id-${i}`, stage: 'ResponseComplete', requestURI: '/api', verb: 'get', user: { username: 'u' }, requestReceivedTimestamp: 't', stageTimestamp: 't' };
}

const listen = (s: Server | ReturnType<typeof createTlsServer>): Promise<number> =>
  new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${what}`);
}

test('a live webhook receives EventLists in batches of at most max-size, with the client certificate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-wh-'));
  const got: any[] = [];
  const peers: string[] = [];
  const srv = createTlsServer({ key: serverCert.keyPem, cert: serverCert.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      peers.push((req.socket as any).getPeerCertificate().subject.CN);
      got.push({ path: req.url, body: JSON.parse(body) });
      res.writeHead(200).end('{}');
    });
  });
  const port = await listen(srv);
  const b = new WebhookBackend({ configFile: kubeconfig(dir, port), maxBatchSize: 3, maxBatchWaitMs: 20 });
  try {
    for (let i = 0; i < 7; i++) b.processEvents([event(i)]);
    await until(() => got.flatMap((g) => g.body.items).length === 7, 'all events delivered');
    assert.ok(got.every((g) => g.path === '/audit' && g.body.kind === 'EventList' && g.body.apiVersion === 'audit.k8s.io/v1' && g.body.items.length <= 3));
    assert.deepEqual(got.flatMap((g) => g.body.items.map((e: AuditEvent) => e.auditID)), [0, 1, 2, 3, 4, 5, 6].map((i) => `id-${i}`));
    assert.ok(peers.every((p) => p === 'kube-apiserver'));
    assert.deepEqual(b.stats(), { events: 7, dropped: 0, errors: 0 });
  } finally {
    await b.close();
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const kind of ['accepts and never answers', 'refuses connections'] as const) {
  test(`a webhook that ${kind}: events beyond the buffer are dropped and counted, nothing waits`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-wh-'));
    const sockets = new Set<import('node:net').Socket>();
    const tcp = createTcpServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    let port = await listen(tcp);
    if (kind === 'refuses connections') {
      await new Promise((r) => tcp.close(r));
    }
    const b = new WebhookBackend({ configFile: kubeconfig(dir, port), bufferSize: 20, maxBatchSize: 5, maxBatchWaitMs: 10, requestTimeoutMs: 200 });
    try {
      let maxBuffered = 0;
      for (let round = 0; round < 20; round++) {
        // processEvents is synchronous: it returns before any byte reaches the webhook.
        for (let i = 0; i < 10; i++) b.processEvents([event(round * 10 + i)]);
        maxBuffered = Math.max(maxBuffered, b.buffered);
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(maxBuffered <= 20, `buffer held ${maxBuffered}`);
      await until(() => b.stats().errors > 0, 'a failed batch counted');
      const s = b.stats();
      // A hung webhook holds its batch until the deadline, so the buffer fills and events are
      // dropped; refused batches fail at once and are counted as errors instead.
      if (kind === 'accepts and never answers') assert.ok(s.dropped > 0, JSON.stringify(s));
      assert.equal(s.events + s.dropped, 200);
      assert.ok(s.errors <= s.events);
    } finally {
      await b.close();
      for (const s of sockets) s.destroy();
      tcp.close();
      rmSync(dir, { recursive: true, force: true });
    }
    void port;
  });
}

test('the kubeconfig is checked at start: no CA, no credential, http are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-wh-'));
  try {
    const path = join(dir, 'k.yaml');
    writeFileSync(path, 'clusters: [{name: a, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: a, user: u}}]\ncurrent-context: c\n');
    assert.throws(() => new WebhookBackend({ configFile: path }), /certificate-authority is required/);
    writeFileSync(path, `clusters: [{name: a, cluster: {server: "https://127.0.0.1:1", certificate-authority-data: ${Buffer.from(ca.certPem).toString('base64')}}}]\ncontexts: [{name: c, context: {cluster: a}}]\ncurrent-context: c\n`);
    assert.throws(() => new WebhookBackend({ configFile: path }), /client certificate or a token/);
    writeFileSync(path, 'clusters: [{name: a, cluster: {server: "http://127.0.0.1:1"}}]\ncontexts: [{name: c, context: {cluster: a}}]\ncurrent-context: c\n');
    assert.throws(() => new WebhookBackend({ configFile: path }), /must be https/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close waits for a hung webhook at most closeWaitMs, then counts what it gave up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-wh-'));
  const sockets = new Set<import('node:net').Socket>();
  const tcp = createTcpServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  const port = await listen(tcp);
  const b = new WebhookBackend({ configFile: kubeconfig(dir, port), maxBatchSize: 2, maxBatchWaitMs: 10, requestTimeoutMs: 60_000, closeWaitMs: 100 });
  try {
    for (let i = 0; i < 5; i++) b.processEvents([event(i)]);
    await b.close();
    const s = b.stats();
    // 2 in the hung batch (failed when the transport closed) and 3 left in the buffer (dropped).
    assert.deepEqual(s, { events: 5, dropped: 3, errors: 2 });
  } finally {
    for (const s of sockets) s.destroy();
    tcp.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tls-server-name is the name the webhook certificate is checked against', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-wh-sni-'));
  let delivered = 0;
  const srv = createTlsServer({ key: serverCert.keyPem, cert: serverCert.certPem }, (req, res) => {
    req.resume();
    req.on('end', () => {
      delivered++;
      res.writeHead(200).end('{}');
    });
  });
  const port = await listen(srv);
  const wrong = new WebhookBackend({ configFile: kubeconfig(dir, port, 'not-the-webhook.example'), maxBatchSize: 1, maxBatchWaitMs: 20 });
  // The serving certificate names localhost (and 127.0.0.1): checked as localhost, it passes.
  const right = new WebhookBackend({ configFile: kubeconfig(dir, port, 'localhost'), maxBatchSize: 1, maxBatchWaitMs: 20 });
  try {
    wrong.processEvents([event(1)]);
    await until(() => wrong.stats().errors === 1, 'the wrong name fails the batch');
    assert.equal(delivered, 0);
    right.processEvents([event(2)]);
    await until(() => delivered === 1, 'the right name delivers');
    assert.equal(right.stats().errors, 0);
  } finally {
    await wrong.close();
    await right.close();
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
