import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import transport, { type SpdyStream } from 'spdy-transport';
import { acceptSpdyUpgrade, MAX_UNREAD, onStreams } from './spdy-session.ts';

test('a client writing into a stream nobody reads is held at the socket, and every byte arrives once the reader reads', async () => {
  const TOTAL = 16 * 1024 * 1024;
  let serverStream: SpdyStream | undefined;
  const server = net.createServer((sock) => onStreams(acceptSpdyUpgrade(sock, Buffer.alloc(0), 'v4.channel.k8s.io'), (s) => (serverStream = s)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  try {
    await new Promise((r) => c.once('data', r)); // the 101 answer
    const client = transport.connection.create(c, { protocol: 'spdy', isServer: false }) as unknown as {
      start(v: number): void;
      request(o: object, cb: (err: Error | null, s: SpdyStream) => void): void;
      _spdyState: { window: { send: { updateMax(n: number): void } } };
    };
    client.start(3);
    const stream = await new Promise<SpdyStream>((resolve, reject) => client.request({ method: 'POST', path: '/', headers: { streamtype: 'stdin' } }, (err, s) => (err ? reject(err) : resolve(s))));
    // Go's spdystream sends without regard to SPDY windows: so does this client.
    (stream as unknown as { _spdyState: { window: { send: { updateMax(n: number): void } } } })._spdyState.window.send.updateMax(2 ** 31 - 1);
    client._spdyState.window.send.updateMax(2 ** 31 - 1);
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    const pump = () => {
      while (sent < TOTAL) {
        sent += chunk.length;
        if (!stream.write(chunk)) return void stream.once('drain', pump);
      }
      stream.end();
    };
    pump();
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(serverStream, 'the stream arrived');
    assert.ok(serverStream.readableLength <= MAX_UNREAD + 64 * 1024, `unread bytes held by the agent: ${serverStream.readableLength}`);
    let got = 0;
    serverStream.on('data', (d: Buffer) => (got += d.length));
    await new Promise((r) => serverStream!.once('end', r));
    assert.equal(got, TOTAL, 'nothing lost while the socket was held');
  } finally {
    c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
