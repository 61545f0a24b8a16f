import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryBool, queryFlag } from './query-bool.ts';

test('boolean query parameters decode as apimachinery does', () => {
  const q = (s: string) => new URLSearchParams(s);
  for (const t of ['watch=true', 'watch=True', 'watch=TRUE', 'watch=1', 'watch=yes', 'watch=', 'watch', 'watch=true&watch=false']) {
    assert.equal(queryFlag(q(t), 'watch'), true, t);
  }
  for (const f of ['watch=false', 'watch=False', 'watch=FALSE', 'watch=0', 'watch=0&watch=1', '']) {
    assert.equal(queryFlag(q(f), 'watch'), false, f);
  }
  assert.equal(queryBool(q('other=1'), 'watch'), undefined);
  assert.equal(queryBool(q('force=False'), 'force'), false);
});
