/**
 * The gRPC-over-HTTP/2 client against a small fake member (node:http2 server speaking the same
 * framing): statuses in trailers or alone in headers, deadlines, the message bound, a dropped
 * connection, the client's move to the next member (at once for a call no member can have
 * acted on), and a silent member found by keepalive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { GrpcChannel, GrpcError, Status } from './grpc-channel.ts';
import { FrameDecoder, frame } from './grpc-frames.ts';
import { createEtcdKv, isUnavailable } from './etcd-kv-client.ts';
import { int, messages } from './etcd-proto.ts';

type Handler = (stream: http2.ServerHttp2Stream, path: string, body: Buffer) => void;

async function fakeMember(handle: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const decoder = new FrameDecoder(1 << 20);
    stream.on('data', (c: Buffer) => {
      for (const m of decoder.push(c)) handle(stream, String(headers[':path']), m);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        // Sessions the clients keep open would hold close() forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

function reply(stream: http2.ServerHttp2Stream, body: Uint8Array, status = 0, message = ''): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(status), 'grpc-message': message }));
  stream.end(frame(body));
}

const opts = { maxMessageBytes: 1024, dialTimeoutMs: 2000 };

async function failure(p: Promise<unknown>): Promise<GrpcError> {
  const err = await p.then(
    () => assert.fail('the call succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GrpcError, String(err));
  return err;
}

test('unary: the message, a status in trailers or alone in headers, a percent-encoded message', async () => {
  const member = await fakeMember((stream, path, body) => {
    if (path === '/t/Echo') reply(stream, body);
    else if (path === '/t/Fail') reply(stream, Buffer.alloc(0), 11, 'etcdserver: mvcc: required revision has been compacted %25');
    else stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown%20method' }, { endStream: true });
  });
  const ch = new GrpcChannel({ url: member.url, ...opts });
  try {
    assert.deepEqual(await ch.unary('/t/Echo', Buffer.from('hello'), 5000), Buffer.from('hello'));
    const failed = await failure(ch.unary('/t/Fail', Buffer.from('x'), 5000));
    assert.equal(failed.code, 11);
    assert.equal(failed.message, 'etcdserver: mvcc: required revision has been compacted %');
    const only = await failure(ch.unary('/t/Nope', Buffer.from('x'), 5000));
    assert.deepEqual([only.code, only.message], [12, 'unknown method']);
  } finally {
    ch.close();
    await member.close();
  }
});

test('unary: a deadline, the message bound, and a connection that drops mid-call', async () => {
  const member = await fakeMember((stream, path) => {
    if (path === '/t/Big') reply(stream, Buffer.alloc(2000));
    else if (path === '/t/Drop') stream.session?.destroy();
    // /t/Slow: never answered
  });
  const ch = new GrpcChannel({ url: member.url, ...opts });
  try {
    assert.equal((await failure(ch.unary('/t/Slow', Buffer.from('x'), 50))).code, Status.DEADLINE_EXCEEDED);
    const big = await failure(ch.unary('/t/Big', Buffer.from('x'), 5000));
    assert.equal(big.code, Status.RESOURCE_EXHAUSTED);
    assert.match(big.message, /larger than max \(2000 vs\. 1024\)/);
    const dropped = await failure(ch.unary('/t/Drop', Buffer.from('x'), 5000));
    assert.equal(dropped.code, Status.UNAVAILABLE);
    assert.ok(isUnavailable(dropped));
    // The next call dials again.
    assert.equal((await failure(ch.unary('/t/Big', Buffer.from('x'), 5000))).code, Status.RESOURCE_EXHAUSTED);
  } finally {
    ch.close();
    await member.close();
  }
});

test('a member that refuses the connection: the call, which cannot have reached it, goes to the next member at once (a write too); one that may have reached a member is not sent again', async () => {
  const dead = await fakeMember(() => {});
  await dead.close();
  let served = 0;
  const live = await fakeMember((stream) => {
    served++;
    reply(stream, messages.TxnResponse.encode({ header: { revision: 42 }, succeeded: true, responses: [] }).finish());
  });
  const kv = createEtcdKv({ servers: [dead.url, live.url], callTimeoutMs: 5000 });
  try {
    const res = await kv.txn({ compare: [], success: [{ request_put: { key: Buffer.from('/a'), value: Buffer.from('v') } }] });
    assert.equal(int(res.header.revision), 42);
    assert.equal(served, 1);
  } finally {
    kv.close();
    await live.close();
  }
  await assert.rejects(kv.range({ key: Buffer.from('/a') }), { name: 'ClientClosedError' });

  // The first member takes the call and drops the connection: it may have committed the write.
  let second = 0;
  const dropping = await fakeMember((stream) => stream.session?.destroy());
  const other = await fakeMember((stream) => {
    second++;
    reply(stream, messages.TxnResponse.encode({ header: { revision: 7 }, succeeded: true, responses: [] }).finish());
  });
  const kv2 = createEtcdKv({ servers: [dropping.url, other.url], callTimeoutMs: 5000 });
  try {
    const err = await failure(kv2.txn({ compare: [], success: [{ request_put: { key: Buffer.from('/a'), value: Buffer.from('v') } }] }));
    assert.ok(isUnavailable(err), err.message);
    assert.equal(err.unprocessed, false);
    assert.equal(second, 0);
    // The next call goes to the next member.
    assert.equal(int((await kv2.txn({ compare: [], success: [] })).header.revision), 7);
  } finally {
    kv2.close();
    await dropping.close();
    await other.close();
  }
});

test('a member that accepts the connection and then says nothing: the keepalive ping goes unanswered and the call fails UNAVAILABLE before its deadline', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s)); // reads, never writes
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const ch = new GrpcChannel({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, maxMessageBytes: 1024, keepaliveMs: 50, keepaliveTimeoutMs: 50 });
  try {
    const err = await failure(ch.unary('/t/Echo', Buffer.from('x'), 30_000));
    assert.equal(err.code, Status.UNAVAILABLE);
    assert.match(err.message, /keepalive ping unanswered/);
  } finally {
    ch.close();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
