import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
  // The controllers' own first writes (kube-root-ca.crt, default ServiceAccounts) come in over
  // the API after start: events in the default namespace are counted from after them.
  await c.settled();
});
after(async () => {
  await c.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
const cm = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { v: '1' } });

test('watch from a resourceVersion replays ADDED, MODIFIED, DELETED in order', async () => {
  const first = await c.admin.post(CM, cm('w1'));
  const rv = first.body.metadata.resourceVersion;
  await c.admin.patch(CM + '/w1', { data: { v: '2' } }, 'application/merge-patch+json');
  await c.admin.post(CM, cm('w2'));
  await c.admin.delete(CM + '/w1');
  const { status, events } = await c.admin.watch(`${CM}?watch=true&resourceVersion=${rv}`, (e) => e.length >= 3);
  assert.equal(status, 200);
  assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [['MODIFIED', 'w1'], ['ADDED', 'w2'], ['DELETED', 'w1']]);
  const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
  assert.deepEqual([...rvs].sort((a, b) => a - b), rvs);
});

test('watch without a resourceVersion starts with the current state, then live events', async () => {
  const p = c.admin.watch(`${CM}?watch=true`, (e) => e.some((x) => x.object.metadata.name === 'live'));
  await new Promise((r) => setTimeout(r, 200));
  await c.admin.post(CM, cm('live'));
  const { events } = await p;
  const names = events.map((e) => `${e.type}:${e.object.metadata.name}`);
  assert.ok(names.includes('ADDED:w2'), names.join(' '));
  assert.equal(names[names.length - 1], 'ADDED:live');
});

test('selectors apply to events: leaving the selection is DELETED, entering is ADDED', async () => {
  const start = (await c.admin.post(CM, cm('sel', { team: 'a' }))).body.metadata.resourceVersion;
  await c.admin.patch(CM + '/sel', { metadata: { labels: { team: 'b' } } }, 'application/merge-patch+json');
  await c.admin.patch(CM + '/sel', { metadata: { labels: { team: 'a' } } }, 'application/merge-patch+json');
  const { events } = await c.admin.watch(`${CM}?watch=true&labelSelector=team%3Da&resourceVersion=${Number(start) - 1}`, (e) => e.length >= 3);
  assert.deepEqual(events.map((e) => e.type), ['ADDED', 'DELETED', 'ADDED']);
});

test('bookmarks and timeoutSeconds', async () => {
  const rv = (await c.admin.get(CM)).body.metadata.resourceVersion;
  const { events } = await c.admin.watch(`${CM}?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${rv}`, () => false, 5000);
  assert.ok(events.length >= 1);
  const last = events[events.length - 1];
  assert.equal(last.type, 'BOOKMARK');
  assert.equal(last.object.kind, 'ConfigMap');
  assert.match(last.object.metadata.resourceVersion, /^\d+$/);
});

test('a compacted resourceVersion is 410 Expired', async () => {
  await c.admin.post(CM, cm('old'));
  const rev = c.cp.store.currentRevision();
  await c.admin.post(CM, cm('newer'));
  await c.cp.store.compact(rev);
  const { events } = await c.admin.watch(`${CM}?watch=true&resourceVersion=1`, (e) => e.length >= 1);
  assert.equal(events[0].type, 'ERROR');
  assert.equal(events[0].object.kind, 'Status');
  assert.equal(events[0].object.code, 410);
  assert.equal(events[0].object.reason, 'Expired');
  const list = await c.admin.get(`${CM}?resourceVersion=1&resourceVersionMatch=Exact`);
  assert.equal(list.status, 410);
  assert.equal(list.body.reason, 'Expired');
});

test('watch headers are sent before the first event', async () => {
  const { request } = await import('node:https');
  const opts = c.admin.agent.options as { ca?: string; cert?: string; key?: string };
  const status = await new Promise<number>((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', port: c.admin.base.port, path: '/api/v1/namespaces/kube-public/configmaps?watch=true&resourceVersion=' + c.cp.store.currentRevision(), ca: opts.ca, cert: opts.cert, key: opts.key, servername: 'localhost', agent: false },
      (res) => {
        resolve(res.statusCode ?? 0);
        r.destroy();
      },
    );
    r.on('error', (err) => ((err as { code?: string }).code === 'ECONNRESET' ? undefined : reject(err)));
    setTimeout(() => reject(new Error('no response headers without an event')), 3000).unref();
    r.end();
  });
  assert.equal(status, 200);
});

test('a cluster-wide watch selecting metadata.name sees that name in every namespace', async () => {
  await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  const rv = c.cp.store.currentRevision();
  await c.admin.post('/api/v1/namespaces/default/configmaps', cm('twin'));
  await c.admin.post('/api/v1/namespaces/other/configmaps', cm('twin'));
  await c.admin.post('/api/v1/namespaces/other/configmaps', cm('single'));
  const { events } = await c.admin.watch(`/api/v1/configmaps?watch=true&fieldSelector=metadata.name%3Dtwin&resourceVersion=${rv}`, (e) => e.length >= 2);
  assert.deepEqual(events.map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`), ['default/twin', 'other/twin']);
});

test('a watch from a resourceVersion the server has not reached yet waits for it, then delivers only what follows it', async () => {
  const current = Number((await c.admin.get(CM)).body.metadata.resourceVersion);
  const target = current + 1;
  const p = c.admin.watch(`${CM}?watch=true&resourceVersion=${target}`, (e) => e.some((x) => x.object.metadata?.name === 'fut3'), 10_000);
  const written: Array<[string, number]> = [];
  for (const name of ['fut1', 'fut2', 'fut3']) written.push([name, Number((await c.admin.post(CM, cm(name))).body.metadata.resourceVersion)]);
  const { status, events } = await p;
  assert.equal(status, 200);
  assert.deepEqual(
    events.map((e) => `${e.type}:${e.object.metadata.name}`),
    written.filter(([, rv]) => rv > target).map(([name]) => `ADDED:${name}`),
  );
});

test('a watch from a resourceVersion the server does not reach in time ends with 504 ResourceVersionTooLarge, as upstream', async () => {
  const far = Number((await c.admin.get(CM)).body.metadata.resourceVersion) + 1_000_000;
  // Upstream's watch cache waits 3 s for the revision before it gives up.
  const { status, events } = await c.admin.watch(`${CM}?watch=true&resourceVersion=${far}`, (e) => e.length >= 1, 10_000);
  assert.equal(status, 200);
  assert.equal(events.length, 1);
  assert.equal(events[0].type, 'ERROR');
  const { message, ...rest } = events[0].object;
  assert.match(message, new RegExp(`^Timeout: Too large resource version: ${far}, current: \\d+$`));
  assert.deepEqual(rest, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason: 'Timeout',
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
    code: 504,
  });
  // A list at that resourceVersion fails the same way, at once.
  const list = await c.admin.get(`${CM}?resourceVersion=${far}`);
  assert.equal(list.status, 504);
  assert.equal(list.headers['retry-after'], '1');
  assert.match(list.body.message, new RegExp(`^Timeout: Too large resource version: ${far}, current: \\d+$`));
  assert.deepEqual(list.body.details, rest.details);
});

test('a timeoutSeconds beyond what a timer holds keeps the watch open', async () => {
  const rv = (await c.admin.get(CM)).body.metadata.resourceVersion;
  const p = c.admin.watch(`${CM}?watch=true&timeoutSeconds=99999999&resourceVersion=${rv}`, (e) => e.length >= 1, 10_000);
  await new Promise((r) => setTimeout(r, 200));
  await c.admin.post(CM, cm('long-timeout'));
  const { events } = await p;
  assert.deepEqual(events.map((e) => `${e.type}:${e.object.metadata.name}`), ['ADDED:long-timeout']);
});

test('a watch queued behind an earlier response on the same keep-alive connection still streams', async () => {
  // Two pipelined requests on one socket: Node holds the watch's response (res.socket is null)
  // until the list's response is finished. That is not a client gone away.
  const { connect } = await import('node:tls');
  const opts = c.admin.agent.options;
  const socket = connect({ host: '127.0.0.1', port: Number(c.admin.base.port), ca: opts.ca, cert: opts.cert, key: opts.key, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  const head = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n`;
  socket.write(head(CM) + head(`${CM}?watch=1&timeoutSeconds=5`));
  for (let i = 0; i < 200 && !text.includes('"ConfigMapList"'); i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  await c.admin.post(CM, cm('pipelined'));
  for (let i = 0; i < 300 && !text.includes('"name":"pipelined"'); i++) await new Promise((r) => setTimeout(r, 10));
  socket.destroy();
  assert.match(text, /"type":"ADDED","object":\{[^\n]*"name":"pipelined"/);
});
