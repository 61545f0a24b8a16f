import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenFileSource } from './token-file-source.ts';

/** A token file in memory: its content (or a failure), the reads counted, and a clock the test moves. */
function setup(initial: string) {
  const state = { content: initial as string | Error, reads: 0, t: 1_000_000 };
  const source = new TokenFileSource('/var/run/token', {
    now: () => state.t,
    read: () => {
      state.reads++;
      if (state.content instanceof Error) throw state.content;
      return state.content;
    },
  });
  return { state, source };
}

test('read trimmed, cached for the minute less the 10 s leeway, then read again (client-go cachingTokenSource)', () => {
  const { state, source } = setup('  one\n');
  assert.equal(source.get(), 'one');
  assert.equal(state.reads, 1);
  state.content = 'two';
  state.t += 49_999;
  assert.equal(source.get(), 'one', 'still fresh: expiry (60 s) less leeway (10 s) not reached');
  assert.equal(state.reads, 1);
  state.t += 1;
  assert.equal(source.get(), 'two', 'at 50 s the file is read again');
  assert.equal(state.reads, 2);
  state.t += 10_000;
  assert.equal(source.get(), 'two');
  assert.equal(state.reads, 2, 'the new read starts a new minute');
});

test('a failed or empty re-read keeps the last good token and is tried again on the next call', () => {
  const { state, source } = setup('good');
  assert.equal(source.get(), 'good');
  state.t += 50_000;
  state.content = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
  assert.equal(source.get(), 'good');
  assert.equal(source.get(), 'good');
  assert.equal(state.reads, 3, 'not cached after a failure: each call tries the file');
  state.content = '\n';
  assert.equal(source.get(), 'good', 'an empty file is a failure, not an empty token');
  state.content = 'rotated';
  assert.equal(source.get(), 'rotated');
});

test('with no good read yet, the failure is thrown (empty file: client-go\'s message)', () => {
  const { state, source } = setup(' \n');
  assert.throws(() => source.get(), /^Error: read empty token from file "\/var\/run\/token"$/);
  state.content = new Error('EACCES: permission denied');
  assert.throws(() => source.get(), /EACCES/);
  state.content = 'late';
  assert.equal(source.get(), 'late');
});

test('the fallback (kubeconfig token beside tokenFile) is used until the file is first read, never after', () => {
  const state = { content: new Error('ENOENT') as string | Error };
  const source = new TokenFileSource('/t', { fallback: 'inline', read: () => {
    if (state.content instanceof Error) throw state.content;
    return state.content;
  } });
  assert.equal(source.get(), 'inline');
  state.content = 'from-file';
  assert.equal(source.get(), 'from-file', 'not cached: the file is tried again on each call until read');
  state.content = new Error('EIO');
  assert.equal(source.get(), 'from-file');
});
