import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backlogFrom, listenBacklog, NODE_DEFAULT_BACKLOG } from './listen-backlog.ts';

test("the accept queue follows the kernel's somaxconn, as Go's listeners do", () => {
  assert.equal(backlogFrom('4096\n'), 4096);
  assert.equal(backlogFrom('128'), 128);
  assert.equal(backlogFrom('1000000'), 65535);
  for (const bad of [undefined, '', 'x', '0', '-5']) assert.equal(backlogFrom(bad), NODE_DEFAULT_BACKLOG);
  const dir = mkdtempSync(join(tmpdir(), 'backlog-'));
  try {
    writeFileSync(join(dir, 'somaxconn'), '2048\n');
    assert.equal(listenBacklog(join(dir, 'somaxconn')), 2048);
    assert.equal(listenBacklog(join(dir, 'missing')), NODE_DEFAULT_BACKLOG);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
