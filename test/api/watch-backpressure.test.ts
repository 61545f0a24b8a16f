import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type TLSSocket } from 'node:tls';
import { request } from 'node:https';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import type { TestClient } from '../helpers/client.ts';
import { WatchRegistry, watchLimits } from '../../src/server/rest/watch-limits.ts';
import { CORE_CONTROLLERS } from '../../src/cluster/controllers/registry.ts';

// Small bounds so that a few megabytes make the point; the mechanism is the same at the defaults.
const BACKLOG_EVENTS = 8;
const MAX_PER_USER = 6;
let c: TestCluster;
before(async () => {
  // No controllers: their informers' watches would share the small limits below and the
  // counters this file reads (closed, active, buffered) are about the test's own watches.
  c = await startTestCluster({ controllers: CORE_CONTROLLERS.map((n) => `-${n}`) });
  // As ServerOptions.watch would set them; swapped in before any watch is served.
  c.cp.server.ctx.watches = new WatchRegistry(watchLimits({ maxBacklogEvents: BACKLOG_EVENTS, maxPerUser: MAX_PER_USER }));
});
after(async () => {
  await c.close();
});

const stats = () => c.cp.server.ctx.watches.stats;
/** What a socket may hold beyond the line that filled it: Node's default high-water mark. */
const SOCKET_HIGH_WATER = 16 * 1024;
const OBJECT_BYTES = 300 * 1024;

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

/** A watch over raw TLS whose client never reads (the socket is paused), until resume(). */
function stalledWatch(client: TestClient, path: string): { socket: TLSSocket; resume(): Promise<string> } {
  const opts = client.agent.options as { ca?: string; cert?: string; key?: string };
  const socket = connect({ host: '127.0.0.1', port: Number(client.base.port), ca: opts.ca, cert: opts.cert, key: opts.key, servername: 'localhost' });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  socket.pause();
  return {
    socket,
    resume: () =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (b: Buffer) => chunks.push(b));
        socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.on('error', reject);
        socket.resume();
      }),
  };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;
const cm = (name: string, fill: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { blob: fill.repeat(OBJECT_BYTES) } });

test('watchers that stop reading are closed once they fall behind; a reading watcher on the same resource gets every event', async () => {
  const CM = '/api/v1/namespaces/default/configmaps';
  const created = await c.admin.post(CM, cm('big', 'a'));
  assert.equal(created.status, 201);
  const from = created.body.metadata.resourceVersion;
  const path = `${CM}?watch=true&resourceVersion=${from}`;
  const base = stats().active;
  const stalled = [stalledWatch(c.admin, path), stalledWatch(c.admin, path), stalledWatch(c.admin, path)];
  const UPDATES = 60; // 60 x 300 KiB: far more than the socket and kernel buffers hold
  const reader = c.admin.watch(path, (e) => e.length >= UPDATES, 120_000);
  await until(() => stats().active === base + 4, 'four watches to be established');

  const written: string[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const r = await c.admin.put(`${CM}/big`, { ...cm('big', String.fromCharCode(98 + (i % 20))), metadata: { name: 'big', resourceVersion: written.at(-1) ?? from } });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    written.push(r.body.metadata.resourceVersion);
  }
  const { events } = await reader;
  assert.deepEqual(events.map((e) => `${e.type}:${e.object.metadata.resourceVersion}`), written.map((rv) => `MODIFIED:${rv}`));

  await until(() => stats().closedTooSlow >= 3, 'the stalled watches to be closed');
  assert.equal(stats().closedTooSlow, 3, 'only the watchers that did not read were closed');
  // Each response held at most what filled its socket plus one line, never the stream.
  assert.ok(stats().maxBufferedBytes <= SOCKET_HIGH_WATER + OBJECT_BYTES + 4096, `buffered ${stats().maxBufferedBytes} bytes`);

  for (const s of stalled) {
    const text = await s.resume();
    assert.match(text, /^HTTP\/1\.1 200 /);
    const got = count(text, '"type":"MODIFIED"');
    assert.ok(got < UPDATES, `a closed watch ends early, got ${got} events`);
    assert.ok(text.endsWith('\r\n0\r\n\r\n'), 'the stream just ends (no ERROR event), as upstream');
    assert.equal(count(text, '"type":"ERROR"'), 0);
  }
  assert.equal(stats().active, base);
});

test('the initial ADDED burst waits for the client to read, and a client stalled in it is closed like any other', async () => {
  const ns = 'burst';
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status, 201);
  const CM = `/api/v1/namespaces/${ns}/configmaps`;
  const ITEMS = 40; // 12 MB of state to list
  for (let i = 0; i < ITEMS; i++) assert.equal((await c.admin.post(CM, cm(`c${i}`, 'z'))).status, 201);
  const closedBefore = stats().closedTooSlow;
  const s = stalledWatch(c.admin, `${CM}?watch=true`);
  await until(() => stats().blocked === 1, 'the burst to fill the socket');
  // Changes during the burst wait in the paused watcher's backlog, up to its bound.
  for (let i = 0; i <= BACKLOG_EVENTS; i++) {
    assert.equal((await c.admin.patch(`${CM}/c0`, { metadata: { labels: { n: String(i) } } }, 'application/merge-patch+json')).status, 200);
  }
  await until(() => stats().closedTooSlow === closedBefore + 1, 'the stalled burst to be closed');
  assert.ok(stats().maxBufferedBytes <= SOCKET_HIGH_WATER + OBJECT_BYTES + 4096, `buffered ${stats().maxBufferedBytes} bytes`);
  const text = await s.resume();
  const added = count(text, '"type":"ADDED"');
  assert.ok(added > 0 && added < ITEMS, `the burst stopped part way: ${added} of ${ITEMS}`);
  assert.ok(text.endsWith('\r\n0\r\n\r\n'));
});

test('a reading client gets the whole initial burst, however large', async () => {
  const ours = (events: any[]) => new Set(events.filter((e) => e.type === 'ADDED' && /^c\d+$/.test(e.object.metadata.name)).map((e) => e.object.metadata.name));
  const { events } = await c.admin.watch('/api/v1/namespaces/burst/configmaps?watch=true', (e) => ours(e).size >= 40, 60_000);
  assert.equal(ours(events).size, 40);
  assert.ok(events.every((e) => e.type === 'ADDED'));
});

test(`a user may hold ${MAX_PER_USER} watches; the next is 429 TooManyRequests with Retry-After, and a slot frees when a watch ends`, async () => {
  const user = c.as('watch-hog', ['system:masters']);
  const opts = user.agent.options as { ca?: string; cert?: string; key?: string };
  const open = () =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: Promise<string>; close(): void }>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port: user.base.port, path: '/api/v1/namespaces/default/secrets?watch=true', ca: opts.ca, cert: opts.cert, key: opts.key, servername: 'localhost', agent: false }, (res) => {
        const body = new Promise<string>((done) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => done(b));
          res.on('error', () => done(b));
        });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, close: () => r.destroy() });
      });
      r.on('error', (err) => {
        if ((err as { code?: string }).code !== 'ECONNRESET') reject(err);
      });
      r.end();
    });
  const held = [];
  for (let i = 0; i < MAX_PER_USER; i++) {
    const w = await open();
    assert.equal(w.status, 200);
    held.push(w);
  }
  const refused = await open();
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '1');
  const status = JSON.parse(await refused.body);
  assert.deepEqual(status, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Too many requests, please try again later.',
    reason: 'TooManyRequests',
    details: { retryAfterSeconds: 1 },
    code: 429,
  });
  // Another user is not affected.
  const other = await c.admin.watch('/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=1', () => false, 5000);
  assert.equal(other.status, 200);

  const before = c.cp.server.ctx.watches.held('watch-hog');
  held.pop()?.close();
  await until(() => c.cp.server.ctx.watches.held('watch-hog') === before - 1, 'the closed watch to release its slot');
  const again = await open();
  assert.equal(again.status, 200);
  again.close();
  for (const w of held) w.close();
  await until(() => c.cp.server.ctx.watches.held('watch-hog') === 0, 'every slot to be released');
});
