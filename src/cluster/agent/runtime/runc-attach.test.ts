import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { LogRelay } from './log-relay.ts';
import { attachStreams, MAX_UNREAD } from './runc-attach.ts';

/** A relay whose output the test emits; done never settles (the container keeps running). */
function fakeRelay() {
  const streams = { stdout: new EventEmitter(), stderr: new EventEmitter() };
  const relay: LogRelay = {
    done: new Promise<void>(() => undefined),
    tap(stream, fn) {
      streams[stream].on('data', fn);
      return () => void streams[stream].off('data', fn);
    },
    close() {},
  };
  return { relay, emit: (stream: 'stdout' | 'stderr', c: Buffer) => streams[stream].emit('data', c), listeners: () => streams.stdout.listenerCount('data') };
}

/** A client that takes what it is given but never finishes a write (it does not read). */
const stuckClient = () => new Writable({ highWaterMark: 1024, write: () => undefined });

test('attach: output a client reads reaches it, and the session ends when the client goes', async () => {
  const { relay, emit, listeners } = fakeRelay();
  const got: Buffer[] = [];
  const stdout = new Writable({ write: (c: Buffer, _e, cb) => (got.push(c), cb()) });
  const abort = new AbortController();
  const run = attachStreams(relay, undefined, { tty: false, stdout, signal: abort.signal });
  emit('stdout', Buffer.from('hello'));
  abort.abort();
  await run;
  assert.equal(Buffer.concat(got).toString(), 'hello');
  assert.equal(listeners(), 0);
});

test('attach: a client that leaves more than MAX_UNREAD bytes unread is ended, not buffered for', async () => {
  const { relay, emit, listeners } = fakeRelay();
  const stdout = stuckClient();
  const run = attachStreams(relay, undefined, { tty: false, stdout });
  const chunk = Buffer.alloc(64 * 1024);
  for (let sent = 0; sent <= MAX_UNREAD + chunk.length; sent += chunk.length) emit('stdout', chunk);
  await assert.rejects(run, /left more than 4194304 bytes of stdout unread/);
  assert.ok(stdout.writableLength <= MAX_UNREAD, `buffered ${stdout.writableLength}`);
  assert.equal(listeners(), 0, 'the tap is removed');
});
