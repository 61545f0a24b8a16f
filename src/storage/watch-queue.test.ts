import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEvent, DEFAULT_WATCH_BACKLOG, eventBytes, QueuedWatcher } from './watch-queue.ts';
import type { EncodedEvent } from './watch-queue.ts';
import { StorageError } from './types.ts';
import type { WatchBacklog, WatchEvent } from './types.ts';

const ev = (revision: number, value: string | object = `{"r":${revision}}`): EncodedEvent => ({ type: 'MODIFIED', key: `/k/${revision}`, revision, createRevision: 1, value });
const settle = () => new Promise<void>((r) => setImmediate(r));

function watcher(backlog?: WatchBacklog, opts: { pauseAfter?: number } = {}) {
  const seen: number[] = [];
  const errors: Error[] = [];
  let closedBy = 0;
  const w: QueuedWatcher = new QueuedWatcher('/k/', 0, {
    onEvent: (e: WatchEvent) => {
      seen.push(e.revision);
      if (opts.pauseAfter !== undefined && seen.length === opts.pauseAfter) w.pause();
    },
    onError: (e) => errors.push(e),
    backlog,
  }, () => closedBy++);
  return { w, seen, errors, closed: () => closedBy };
}

test('a paused watcher delivers nothing until resumed, then everything in order', async () => {
  const { w, seen, errors } = watcher({ maxEvents: 10, maxBytes: 1e6 });
  w.push(ev(1));
  await settle();
  w.pause();
  for (const r of [2, 3, 4]) w.push(ev(r));
  await settle();
  assert.deepEqual(seen, [1]);
  assert.deepEqual(w.backlog, { events: 3, bytes: 3 * '{"r":2}'.length });
  w.resume();
  await settle();
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(w.backlog, { events: 0, bytes: 0 });
  assert.deepEqual(errors, []);
});

test('a handler that pauses stops delivery right after its own event', async () => {
  const { w, seen } = watcher({ maxEvents: 10, maxBytes: 1e6 }, { pauseAfter: 2 });
  for (const r of [1, 2, 3, 4]) w.push(ev(r));
  await settle();
  assert.deepEqual(seen, [1, 2]);
  w.resume();
  await settle();
  assert.deepEqual(seen, [1, 2, 3, 4]);
});

test('one event past the backlog bound closes the watch with TooSlow and drops the queue', async () => {
  const { w, seen, errors, closed } = watcher({ maxEvents: 3, maxBytes: 1e6 });
  w.pause();
  for (const r of [1, 2, 3]) w.push(ev(r));
  assert.equal(w.backlog.events, 3);
  w.push(ev(4));
  // The queue is let go at once, not when the consumer comes back.
  assert.deepEqual(w.backlog, { events: 0, bytes: 0 });
  await settle();
  assert.deepEqual(seen, [], 'a paused consumer gets no events, only the error');
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof StorageError);
  assert.equal((errors[0] as StorageError).code, 'TooSlow');
  assert.equal(closed(), 1);
  assert.equal(w.closed, true);
  w.push(ev(5));
  w.resume();
  await settle();
  assert.deepEqual(seen, []);
});

test('the byte bound counts the JSON size of shared objects and of distinct previous values', async () => {
  const big = { data: 'x'.repeat(1000) };
  const bytes = JSON.stringify(big).length;
  assert.equal(eventBytes({ ...ev(1, big), prevValue: big }), bytes, 'a DELETED event repeats its value: counted once');
  assert.equal(eventBytes({ ...ev(1, big), prevValue: '{}' }), bytes + 2);
  const { w, errors } = watcher({ maxEvents: 100, maxBytes: 2 * bytes });
  w.pause();
  w.push(ev(1, big));
  w.push(ev(2, big));
  assert.equal(w.backlog.bytes, 2 * bytes);
  w.push(ev(3, { small: 1 }));
  await settle();
  assert.equal((errors[0] as StorageError | undefined)?.code, 'TooSlow');
});

test('what was queued before the pause (a replay) is not backlog: only later arrivals count', async () => {
  const { w, seen, errors } = watcher({ maxEvents: 2, maxBytes: 1e6 }, { pauseAfter: 1 });
  // A replay of history is pushed in one turn when the watch starts.
  for (let r = 1; r <= 50; r++) w.push(ev(r));
  await settle();
  assert.deepEqual(seen, [1]);
  assert.equal(w.backlog.events, 0);
  w.push(ev(51));
  w.push(ev(52));
  await settle();
  assert.deepEqual(errors, []);
  w.resume();
  await settle();
  assert.equal(seen.length, 52);
  assert.deepEqual(errors, []);
});

test('delivering the backlog frees room in the bound', async () => {
  const { w, seen, errors } = watcher({ maxEvents: 2, maxBytes: 1e6 });
  w.pause();
  w.push(ev(1));
  w.push(ev(2));
  w.resume();
  await settle();
  w.pause();
  w.push(ev(3));
  w.push(ev(4));
  w.resume();
  await settle();
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(errors, []);
});

test('an unpaused watcher has no backlog bound (it never falls behind) and the default bound is sane', async () => {
  const { w, seen, errors } = watcher({ maxEvents: 1, maxBytes: 1 });
  for (let r = 1; r <= 20; r++) w.push(ev(r));
  await settle();
  assert.equal(seen.length, 20);
  assert.deepEqual(errors, []);
  assert.ok(DEFAULT_WATCH_BACKLOG.maxEvents >= 10 && DEFAULT_WATCH_BACKLOG.maxBytes >= 3 * 1024 * 1024);
});

test('replayFrom asks for the next page only once everything queued is delivered and the consumer is not paused', async () => {
  const { w, seen } = watcher({ maxEvents: 10, maxBytes: 1e6 }, { pauseAfter: 3 });
  let asked = 0;
  let rev = 0;
  const page = () => {
    asked++;
    for (let i = 0; i < 2; i++) w.push(ev(++rev));
    if (rev >= 8) w.endReplay();
  };
  page();
  w.replayFrom(page);
  await settle();
  await settle();
  // Paused on event 3 (the first event of the second page): one event queued, nothing more asked.
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(w.queued, 1);
  assert.equal(asked, 2);
  await settle();
  assert.equal(asked, 2);
  w.resume();
  for (let i = 0; i < 10; i++) await settle();
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(asked, 4);
  assert.equal(w.replaying, false);
});

test('a previous value sent as text is parsed when read, once, and stays an ordinary property', () => {
  const old = { metadata: { name: 'p', resourceVersion: '4' }, spec: { x: [1, 2] } };
  const e = decodeEvent({ ...ev(5, { r: 5 }), prevValue: JSON.stringify(old) });
  assert.ok(Object.keys(e).includes('prevValue'));
  const first = e.prevValue;
  assert.deepEqual(first, old);
  assert.equal(e.prevValue, first, 'parsed once');
  assert.deepEqual(JSON.parse(JSON.stringify(e)).prevValue, old);
  assert.deepEqual({ ...e }.prevValue, old);
  e.prevValue = 'replaced';
  assert.equal(e.prevValue, 'replaced');
  // Never read: the same event as before, with the value still there when asked.
  const unread = decodeEvent({ ...ev(6, { r: 6 }), prevValue: '{"a":1}' });
  assert.deepEqual(unread, { type: 'MODIFIED', key: '/k/6', revision: 6, createRevision: 1, value: { r: 6 }, prevValue: { a: 1 } });
  // A shared object is passed as it is.
  const shared = Object.freeze({ b: 2 });
  assert.equal(decodeEvent({ ...ev(7, { r: 7 }), prevValue: shared }).prevValue, shared);
});

test('passOver: a passed-over key\'s event is not decoded; onProgress gets its revision in its place, in order', async () => {
  const got: string[] = [];
  const w = new QueuedWatcher('/', 0, {
    onEvent: (e) => got.push(`event ${e.revision} ${JSON.stringify(e.value)}`),
    onProgress: (rev) => got.push(`progress ${rev}`),
    onError: (e) => got.push(`error ${e.message}`),
    passOver: (key) => key.startsWith('/skip/'),
  }, () => {});
  w.push({ type: 'ADDED', key: '/keep/a', revision: 1, createRevision: 1, value: '{"a":1}' });
  // Not JSON: decoding it would end the watch; passed over, it never is.
  w.push({ type: 'ADDED', key: '/skip/b', revision: 2, createRevision: 2, value: 'not json' });
  w.push({ type: 'MODIFIED', key: '/keep/a', revision: 3, createRevision: 1, value: '{"a":2}' });
  await settle();
  assert.deepEqual(got, ['event 1 {"a":1}', 'progress 2', 'event 3 {"a":2}']);
});
