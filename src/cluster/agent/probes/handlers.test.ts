import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { Container } from 'kubernetes-types/core/v1.js';
import { httpGetRequest, httpProbe } from './http-get.ts';
import { tcpProbe } from './tcp-socket.ts';
import { grpcProbe } from './grpc-probe.ts';
import { resolveContainerPort } from './outcome.ts';
import { staticCommand } from './exec-probe.ts';

const ctr: Container = { name: 'app', ports: [{ name: 'web', containerPort: 8080 }], env: [{ name: 'DIR', value: '/tmp' }, { name: 'SECRET', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] };

async function listen(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const srv = http.createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('ports by number or by name; the request as NewRequestForHTTPGetAction builds it', () => {
  assert.equal(resolveContainerPort(80, ctr), 80);
  assert.equal(resolveContainerPort('web', ctr), 8080);
  assert.equal(resolveContainerPort('81', ctr), 81);
  assert.throws(() => resolveContainerPort('nope', ctr), /couldn't find port: nope/);
  assert.throws(() => resolveContainerPort(70000, ctr), /invalid port number/);
  const r = httpGetRequest({ port: 'web', path: 'healthz?x=1', scheme: 'HTTPS', httpHeaders: [{ name: 'X-A', value: 'b' }, { name: 'Accept', value: '' }] }, ctr, '10.1.0.5', 'probe');
  assert.equal(r.url.href, 'https://10.1.0.5:8080/healthz?x=1');
  assert.deepEqual(r.headers, { 'X-A': 'b', 'User-Agent': 'kube-probe/1.33' });
  assert.throws(() => httpGetRequest({ port: 80 }, ctr, undefined, 'probe'), /no IP/);
  assert.equal(httpGetRequest({ port: 81, host: 'fe80::1' }, ctr, undefined, 'lifecycle').url.host, '[fe80::1]:81');
});

test('exec probe commands expand only literal env values', () => {
  assert.deepEqual(staticCommand(['cat', '$(DIR)/ok', '$(SECRET)', '$$(DIR)'], ctr), ['cat', '/tmp/ok', '$(SECRET)', '$(DIR)']);
});

test('httpGet: 200-399 succeed, other statuses and refused connections fail with upstream wording', async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const srv = await listen((req, res) => {
    seen.push(req.headers);
    if (req.url === '/ok') res.end('fine');
    else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
    else if (req.url === '/away') res.writeHead(301, { location: 'http://elsewhere.invalid/' }).end('gone');
    else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (req.url === '/to-bad') res.writeHead(307, { location: '/bad' }).end();
    else res.writeHead(503).end();
  });
  try {
    const c: Container = { name: 'app' };
    assert.deepEqual(await httpProbe({ port: srv.port, path: '/ok', httpHeaders: [{ name: 'X-Probe', value: '1' }] }, c, '127.0.0.1', 1000), { result: 'success', output: 'fine' });
    assert.equal(seen[0]!['user-agent'], 'kube-probe/1.33');
    assert.equal(seen[0]!['x-probe'], '1');
    assert.equal(seen[0]!.accept, '*/*');
    assert.deepEqual(await httpProbe({ port: srv.port, path: '/moved' }, c, '127.0.0.1', 1000), { result: 'success', output: 'fine' }, 'a redirect on the same host is followed');
    assert.deepEqual(await httpProbe({ port: srv.port, path: '/to-bad' }, c, '127.0.0.1', 1000), { result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
    assert.deepEqual(await httpProbe({ port: srv.port, path: '/away' }, c, '127.0.0.1', 1000), { result: 'success', output: 'Probe terminated redirects, Response body: gone', warning: true });
    assert.deepEqual(await httpProbe({ port: srv.port, path: '/loop' }, c, '127.0.0.1', 1000), { result: 'failure', output: `Get "http://127.0.0.1:${srv.port}/loop": stopped after 10 redirects` });
    assert.deepEqual(await httpProbe({ port: srv.port, path: '/bad' }, c, '127.0.0.1', 1000), { result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
    const port = await closedPort();
    const refused = await httpProbe({ port, path: '/' }, c, '127.0.0.1', 1000);
    assert.deepEqual(refused, { result: 'failure', output: `Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused` });
  } finally {
    await srv.close();
  }
});

test('tcpSocket: a connection is success, a refused one a failure', async () => {
  const srv = await listen((_q, res) => res.end());
  try {
    assert.equal((await tcpProbe({ port: srv.port }, ctr, '127.0.0.1', 1000)).result, 'success');
    const port = await closedPort();
    assert.deepEqual(await tcpProbe({ port }, ctr, '127.0.0.1', 1000), { result: 'failure', output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
  } finally {
    await srv.close();
  }
});

test('grpc: grpc.health.v1 Check, SERVING or not, and a server without the service', async () => {
  const server = new grpc.Server();
  const statusOf: Record<string, number> = { '': 1, db: 2 };
  server.register(
    '/grpc.health.v1.Health/Check',
    (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      // HealthCheckRequest{service}: field 1, length-delimited.
      const b = call.request;
      const service = b.length > 2 ? b.subarray(2, 2 + b[1]!).toString() : '';
      if (!(service in statusOf)) return cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      cb(null, Buffer.from([0x08, statusOf[service]!]));
    },
    (b: Buffer) => b, (b: Buffer) => b, 'unary',
  );
  const port = await new Promise<number>((r, f) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? f(e) : r(p))));
  try {
    assert.deepEqual(await grpcProbe({ port }, '127.0.0.1', 2000), { result: 'success', output: 'service healthy' });
    assert.deepEqual(await grpcProbe({ port, service: 'db' }, '127.0.0.1', 2000), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    assert.deepEqual(await grpcProbe({ port, service: 'x' }, '127.0.0.1', 2000), { result: 'failure', output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service' });
    const closed = await closedPort();
    assert.match((await grpcProbe({ port: closed }, '127.0.0.1', 300)).output, /^timeout: failed to connect service "127\.0\.0\.1:\d+" within \S+: /);
  } finally {
    server.forceShutdown();
  }
});
