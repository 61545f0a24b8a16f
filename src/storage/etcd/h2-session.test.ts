/**
 * The etcd client's HTTP/2 connection against nghttp2 (a node:http2 server): flow control both
 * ways on bodies far over the 64 KiB default window, header blocks continued over CONTINUATION
 * frames, PING, RST_STREAM, GOAWAY (streams the server never saw fail, the session takes no new
 * ones and closes when its last stream ends), and a peer that breaks the protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { encodeHeaders, type HeaderList } from './hpack.ts';
import { H2Session, type H2StreamHandlers } from './h2-session.ts';

async function server(onStream: (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void, settings: http2.Settings = {}) {
  const srv = http2.createServer({ settings });
  const sessions = new Set<http2.ServerHttp2Session>();
  srv.on('session', (s) => sessions.add(s));
  srv.on('stream', (s, h) => {
    s.on('error', () => {}); // a stream the test resets
    onStream(s, h);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    sessions,
    close: () => new Promise<void>((r) => {
      for (const s of sessions) s.destroy();
      srv.close(() => r());
    }),
  };
}

interface Result {
  headers: HeaderList[];
  body: Buffer;
  parts: Buffer[];
  reset?: { code: number | undefined; err: Error | undefined; unprocessed: boolean };
}

function call(session: H2Session, path: string, body?: Buffer, end = true): { done: Promise<Result>; stream: ReturnType<H2Session['request']> } {
  const r: Result = { headers: [], body: Buffer.alloc(0), parts: [] };
  let resolve!: (x: Result) => void;
  const done = new Promise<Result>((res) => (resolve = res));
  const handlers: H2StreamHandlers = {
    headers: (fields, endStream) => {
      r.headers.push(fields);
      r.body = Buffer.concat(r.parts);
      if (endStream) resolve(r);
    },
    data: (chunk, endStream) => {
      r.parts.push(Buffer.from(chunk));
      if (endStream) {
        r.body = Buffer.concat(r.parts);
        resolve(r);
      }
    },
    reset: (code, err, unprocessed) => {
      r.reset = { code, err, unprocessed };
      resolve(r);
    },
  };
  const block = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', path], [':authority', session.authority]]);
  return { done, stream: session.request(block, handlers, body, end) };
}

test('bodies of 3 MiB both ways (flow control), long response headers over CONTINUATION, PING', async () => {
  const srv = await server((stream, h) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      const got = Buffer.concat(parts);
      if (h[':path'] === '/echo') {
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-length': String(got.length) }));
        stream.end(Buffer.concat([got, got]));
      } else stream.respond({ ':status': 200, 'x-big': 'v'.repeat(40_000) }, { endStream: true });
    });
  });
  const session = new H2Session({ host: '127.0.0.1', port: srv.port });
  try {
    const body = Buffer.alloc(3 << 20);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const [a, b, big] = await Promise.all([call(session, '/echo', body).done, call(session, '/echo', body.subarray(0, 100_000)).done, call(session, '/big', Buffer.alloc(0)).done]);
    assert.equal(a.reset, undefined);
    assert.ok(a.body.equals(Buffer.concat([body, body])));
    assert.deepEqual(a.headers[1], [['x-length', String(3 << 20)]]);
    assert.equal(b.body.length, 200_000);
    assert.equal(new Map(big.headers[0]).get('x-big'), 'v'.repeat(40_000));
    await new Promise<void>((r) => session.ping(r));
  } finally {
    session.close();
    await srv.close();
  }
});

test('RST_STREAM from the server, a cancelled call, GOAWAY: drained, then closed', async () => {
  let goawayNext = false;
  const srv = await server((stream, h) => {
    if (h[':path'] === '/refuse') stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    else if (h[':path'] === '/hang') {
      if (goawayNext) stream.session!.goaway(0, 1); // the server saw streams up to 1 only
    } else {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    }
  });
  const session = new H2Session({ host: '127.0.0.1', port: srv.port });
  try {
    const refused = await call(session, '/refuse', Buffer.alloc(0)).done;
    assert.equal(refused.reset?.code, http2.constants.NGHTTP2_REFUSED_STREAM);
    assert.equal(refused.reset?.unprocessed, true);
    const hanging = call(session, '/hang', Buffer.alloc(0));
    hanging.stream.cancel();
    assert.equal((await call(session, '/ok', Buffer.alloc(0)).done).body.toString(), 'ok');
    goawayNext = true;
    const closed = new Promise((r) => session.once('close', r));
    const late = await call(session, '/hang', Buffer.alloc(0)).done;
    assert.match(String(late.reset?.err), /GOAWAY/);
    assert.equal(late.reset?.unprocessed, true);
    assert.equal(session.draining, true);
    assert.throws(() => call(session, '/ok', Buffer.alloc(0)));
    await closed; // nothing left on it
  } finally {
    session.close();
    await srv.close();
  }
});

test('a peer that breaks the protocol: the connection is given up and its calls fail (the process does not)', async () => {
  const bad: [string, RegExp][] = [
    ['000000050000000001', /PUSH_PROMISE/], // push being off
    ['000002030000000001' + '0000', /type 3 with 2 bytes/], // a short RST_STREAM
    ['000004070000000000' + '00000000', /type 7 with 4 bytes/], // a short GOAWAY
    ['000005040000000000' + '0000000000', /multiple of 6/], // a ragged SETTINGS
    ['000006040000000000' + '0005' + '00000000', /SETTINGS_MAX_FRAME_SIZE 0 outside/], // a frame size of 0 (the writers would loop)
    ['000006040000000000' + '0004' + '80000000', /SETTINGS_INITIAL_WINDOW_SIZE 2147483648 over/], // a window past 2^31-1
  ];
  for (const [frame, why] of bad) {
    const raw = net.createServer((sock) => {
      sock.once('data', () => sock.write(Buffer.from(frame, 'hex')));
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const session = new H2Session({ host: '127.0.0.1', port: (raw.address() as AddressInfo).port });
    try {
      const closed = new Promise<unknown>((r) => session.once('close', r));
      const r = await call(session, '/x', Buffer.alloc(0)).done;
      assert.match(String(r.reset?.err), why);
      assert.equal(r.reset?.unprocessed, false); // the connection was up: the request may have been acted on
      assert.match(String(await closed), why);
    } finally {
      session.close();
      raw.close();
    }
  }
});

test("the server's SETTINGS_MAX_CONCURRENT_STREAMS: streams over it wait their turn; one cancelled while waiting never starts", async () => {
  const seen: string[] = [];
  let open = 0;
  let most = 0;
  const srv = await server(
    (stream, h) => {
      seen.push(String(h[':path']));
      most = Math.max(most, ++open);
      setTimeout(() => {
        open--;
        stream.respond({ ':status': 200 });
        stream.end(String(h[':path']));
      }, 20);
    },
    { maxConcurrentStreams: 2 },
  );
  const session = new H2Session({ host: '127.0.0.1', port: srv.port });
  try {
    await new Promise<void>((r) => session.ping(r)); // the server's SETTINGS are in
    const calls = ['/a', '/b', '/c', '/d', '/e'].map((p) => call(session, p, Buffer.alloc(0)));
    calls[3].stream.cancel();
    const results = await Promise.all(calls.filter((_, i) => i !== 3).map((c) => c.done));
    assert.deepEqual(results.map((r) => r.body.toString()), ['/a', '/b', '/c', '/e']);
    assert.deepEqual(seen, ['/a', '/b', '/c', '/e']);
    assert.equal(most, 2);
  } finally {
    session.close();
    await srv.close();
  }
});

test('streams still waiting for room when the connection ends are failed as never sent; the started one as maybe processed', { timeout: 10_000 }, async () => {
  const srv = await server(() => {}, { maxConcurrentStreams: 1 }); // never answers
  const session = new H2Session({ host: '127.0.0.1', port: srv.port });
  try {
    await new Promise<void>((r) => session.ping(r));
    const started = call(session, '/hang', Buffer.alloc(0));
    const waiting = call(session, '/wait', Buffer.alloc(0));
    await new Promise<void>((r) => session.ping(r)); // the first stream's frames are out
    session.destroy(new Error('gone'));
    const [a, b] = await Promise.all([started.done, waiting.done]);
    assert.deepEqual([a.reset?.unprocessed, String(a.reset?.err)], [false, 'Error: gone']);
    assert.deepEqual([b.reset?.unprocessed, String(b.reset?.err)], [true, 'Error: gone']);
  } finally {
    session.close();
    await srv.close();
  }
});
