import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCA } from '../../pki/ca.ts';
import { issueCert } from '../../pki/certs.ts';
import { RestClient } from './rest-client.ts';
import { ApiStatusError, isNotFound } from './errors.ts';
import { resources } from './resources.ts';
import type { Timers } from './timers.ts';
import type { K8sObject, WatchEvent } from './types.ts';

// A local HTTPS server that answers from a script, so retries are observed without any timing.
type Answer = { status: number; headers?: Record<string, string>; body?: unknown; destroy?: boolean };
let script: Answer[] = [];
const seen: { method: string; url: string; auth?: string; body: string }[] = [];
let server: https.Server;
let url = '';
let caPem = '';
const now = new Date();

before(async () => {
  const ca = createCA({ commonName: 'test-ca', now, validityDays: 1 });
  caPem = ca.certPem;
  const cert = issueCert(ca, { commonName: 'localhost', usage: 'server', now, validityDays: 1 });
  server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      const a = script.shift() ?? { status: 500, body: { kind: 'Status', code: 500, reason: 'InternalError', message: 'script exhausted' } };
      if (a.destroy) {
        req.socket.destroy();
        return;
      }
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

/** Timers that run at once and record the delays asked for. */
function instantTimers(delays: number[]): Timers {
  return { setTimeout: (fn, ms) => { delays.push(ms); setImmediate(fn); return 0; }, clearTimeout() {} };
}

function client(delays: number[] = [], maxRetries = 5): RestClient {
  return new RestClient({ server: url, identity: { caPem, token: 'tok' }, userAgent: 'unit', maxRetries }, { timers: instantTimers(delays), random: () => 0 });
}

const cm = { metadata: { name: 'c', namespace: 'ns' }, data: { a: '1' } };
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

test('paths for core and group resources, namespaces and subresources; bearer token sent', async () => {
  seen.length = 0;
  script = [{ status: 200, body: cm }, { status: 200, body: { items: [], metadata: { resourceVersion: '5' } } }, { status: 201, body: {} }];
  const c = client();
  await c.get(resources.configmaps, 'ns', 'c');
  await c.list(resources.deployments, '', { labelSelector: 'a=b', limit: 10 });
  await c.postSubresource(resources.pods, 'ns', 'p', 'binding', { metadata: { name: 'p' }, target: { name: 'n' } });
  assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), [
    'GET /api/v1/namespaces/ns/configmaps/c',
    'GET /apis/apps/v1/deployments?labelSelector=a%3Db&limit=10',
    'POST /api/v1/namespaces/ns/pods/p/binding',
  ]);
  assert.equal(seen[0].auth, 'Bearer tok');
  c.close();
});

test('a Status answer becomes an ApiStatusError with code, reason, message and details', async () => {
  script = [{ status: 404, body: { ...status(404, 'NotFound', 'configmaps "x" not found'), details: { name: 'x', kind: 'configmaps' } } }];
  const c = client();
  const err = await c.get(resources.configmaps, 'ns', 'x').catch((e: unknown) => e);
  assert.ok(err instanceof ApiStatusError && isNotFound(err));
  assert.equal(err.message, 'configmaps "x" not found');
  assert.deepEqual(err.details, { name: 'x', kind: 'configmaps' });
  c.close();
});

test('429 is retried honouring Retry-After; 5xx and broken connections are retried for idempotent verbs', async () => {
  const delays: number[] = [];
  script = [
    { status: 429, headers: { 'retry-after': '3' }, body: status(429, 'TooManyRequests', 'slow down') },
    { status: 503, body: status(503, 'ServiceUnavailable', 'x') },
    { status: 0, destroy: true },
    { status: 200, body: cm },
  ];
  const c = client(delays);
  const got = await c.get(resources.configmaps, 'ns', 'c');
  assert.deepEqual(got.data, { a: '1' });
  assert.equal(delays[0], 3000, 'Retry-After in seconds');
  assert.deepEqual(delays.slice(1), [400, 800], 'exponential backoff from 200 ms (no jitter with random 0)');
  c.close();
});

test('POST is retried on 429 but not on 5xx; retries stop at maxRetries', async () => {
  script = [{ status: 429, body: status(429, 'TooManyRequests', 'x') }, { status: 500, body: status(500, 'InternalError', 'boom') }];
  const c = client();
  const err = await c.create(resources.configmaps, 'ns', cm).catch((e: unknown) => e);
  assert.ok(err instanceof ApiStatusError && err.code === 500 && err.message === 'boom');
  assert.equal(script.length, 0);
  script = [{ status: 503, body: status(503, 'ServiceUnavailable', 'a') }, { status: 503, body: status(503, 'ServiceUnavailable', 'b') }, { status: 200, body: cm }];
  const c1 = client([], 1);
  const err2 = await c1.get(resources.configmaps, 'ns', 'c').catch((e: unknown) => e);
  assert.ok(err2 instanceof ApiStatusError && err2.code === 503 && err2.message === 'b');
  script = [];
  c.close();
  c1.close();
});

test('connection refused ends in code 0 after the retries', async () => {
  const delays: number[] = [];
  const c = new RestClient({ server: 'https://127.0.0.1:1', identity: { caPem, token: 't' }, userAgent: 'u', maxRetries: 2 }, { timers: instantTimers(delays), random: () => 0 });
  const err = await c.create(resources.configmaps, 'ns', cm).catch((e: unknown) => e);
  assert.ok(err instanceof ApiStatusError && err.code === 0);
  assert.equal(delays.length, 2, 'POST retried: nothing was sent');
  c.close();
});

test('watch: line framing, bookmarks passed through, onClose once', async () => {
  const ev = (type: string, name: string, rv: string) => JSON.stringify({ type, object: { metadata: { name, resourceVersion: rv } } });
  const stream = `${ev('ADDED', 'a', '2')}\n${ev('BOOKMARK', '', '3')}\n${ev('DELETED', 'a', '4')}\n`;
  script = [{ status: 200, body: stream }];
  const c = client();
  const events: WatchEvent<K8sObject>[] = [];
  const closes: (Error | undefined)[] = [];
  await new Promise<void>((resolve) => {
    const h = c.watch(resources.configmaps, 'ns', { resourceVersion: '1', allowWatchBookmarks: true }, (e) => events.push(e), (err) => {
      closes.push(err);
      h.close();
      resolve();
    });
  });
  assert.deepEqual(events.map((e) => e.type), ['ADDED', 'BOOKMARK', 'DELETED']);
  assert.equal(events[1].object.metadata.resourceVersion, '3');
  assert.deepEqual(closes, [undefined]);
  assert.match(seen.at(-1)!.url, /^\/api\/v1\/namespaces\/ns\/configmaps\?watch=true&resourceVersion=1&allowWatchBookmarks=true$/);
  c.close();
});

test('watch start failing with a Status closes with that error', async () => {
  script = [{ status: 403, body: status(403, 'Forbidden', 'no') }];
  const c = client();
  const err = await new Promise<Error | undefined>((resolve) => c.watch(resources.configmaps, '', { resourceVersion: '' }, () => {}, resolve));
  assert.ok(err instanceof ApiStatusError && err.code === 403 && err.reason === 'Forbidden');
  c.close();
});

test('closing the client ends a request that waits out a retry delay, at once and with nothing more sent', async () => {
  // Timers that never fire: without the close the request would wait for ever.
  const never: Timers = { setTimeout: () => 0, clearTimeout() {} };
  script = [{ status: 429, headers: { 'retry-after': '30' }, body: status(429, 'TooManyRequests', 'slow down') }];
  const c = new RestClient({ server: url, identity: { caPem, token: 'tok' }, userAgent: 'unit' }, { timers: never, random: () => 0 });
  const before = seen.length;
  const pending = c.get(resources.configmaps, 'ns', 'c');
  for (let i = 0; i < 200 && seen.length === before; i++) await new Promise((r) => setTimeout(r, 5));
  c.close();
  await assert.rejects(pending, (e: unknown) => e instanceof ApiStatusError && e.code === 0 && /client closed/.test(e.message));
  assert.equal(seen.length, before + 1, 'one request, no retry after the close');
});
