import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { SpdyConnection, SpdyStream } from 'spdy-transport';
import type { SandboxStatus } from '../runtime/types.ts';
import { runSpdyPortForward, STREAM_CREATION_TIMEOUT_MS } from './spdy-port-forward.ts';

/** A stream as spdy-transport hands one to the server: headers, respond() and abort(). */
function stream(headers: Record<string, string>): SpdyStream {
  const s = new PassThrough() as unknown as SpdyStream & PassThrough;
  Object.assign(s, { headers, respond: (_c: number, _h: object, cb?: () => void) => cb?.(), abort: () => s.destroy(), _handleData: (f: { data: Buffer }) => s.push(f.data) });
  return s;
}

/** A session as spdy-transport makes one, as far as onStreams looks: its socket and frame parser. */
function session(): EventEmitter {
  const socket = new PassThrough();
  const parser = new PassThrough();
  socket.pipe(parser);
  return Object.assign(new EventEmitter(), { socket, _spdyState: { parser } });
}

const sandbox = { id: 's', pod: { name: 'p', namespace: 'ns', uid: 'u' }, state: 'ready', createdAt: 0, namespaces: {} } as unknown as SandboxStatus;

test('half stream pairs are forgotten when their stream closes: request ids cannot grow the table', async () => {
  const conn = session();
  const dialled: number[] = [];
  const pf = runSpdyPortForward(conn as unknown as SpdyConnection, sandbox, async (_s, port) => {
    dialled.push(port);
    return new PassThrough();
  });
  for (let i = 0; i < 1000; i++) {
    const s = stream({ streamtype: 'data', requestid: String(i), port: '80' });
    conn.emit('stream', s);
    s.destroy();
    // Past the session's bound of 256 open streams: closed streams no longer count against it.
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setImmediate(r));
  assert.equal(pf.pendingPairs(), 0, 'every closed half pair is forgotten');
  // A complete pair still forwards.
  conn.emit('stream', stream({ streamtype: 'error', requestid: 'x', port: '8080' }));
  assert.equal(pf.pendingPairs(), 1);
  conn.emit('stream', stream({ streamtype: 'data', requestid: 'x', port: '8080' }));
  assert.equal(pf.pendingPairs(), 0);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(dialled, [8080]);
});

test('a half pair whose partner never comes times out after the stream creation timeout, saying so', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const conn = session();
    const pf = runSpdyPortForward(conn as unknown as SpdyConnection, sandbox, async () => new PassThrough());
    const error = stream({ streamtype: 'error', requestid: '7', port: '80' }) as SpdyStream & PassThrough;
    conn.emit('stream', error);
    let said = '';
    error.on('data', (d: Buffer) => (said += d.toString()));
    mock.timers.tick(STREAM_CREATION_TIMEOUT_MS - 1);
    assert.equal(pf.pendingPairs(), 1);
    mock.timers.tick(1);
    assert.equal(pf.pendingPairs(), 0);
    await new Promise((r) => setImmediate(r));
    assert.equal(said, '(request=7) timed out waiting for streams');
  } finally {
    mock.timers.reset();
  }
});
