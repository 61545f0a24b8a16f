import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupName, backupTime, pruneBackups, sortLogFiles } from './rotation.ts';

test("backups are named as lumberjack's name-2006-01-02T15-04-05.000.ext, in UTC", () => {
  const at = new Date(Date.UTC(2026, 11, 6, 23, 4, 5, 7));
  assert.equal(backupName('/var/log/audit.log', at), '/var/log/audit-2026-12-06T23-04-05.007.log');
  assert.equal(backupName('/var/log/audit', at), '/var/log/audit-2026-12-06T23-04-05.007');
  assert.equal(backupTime('/var/log/audit.log', '/var/log/audit-2026-12-06T23-04-05.007.log'), at.getTime());
  assert.equal(backupTime('/var/log/audit.log', '/var/log/other-2026-12-06T23-04-05.007.log'), undefined);
});

test('files sort into chain order: backups by their time, the current file last', () => {
  const files = ['/l/audit.log', '/l/audit-2026-12-06T23-04-05.007.log', '/l/audit-2025-01-01T00-00-00.000.log'];
  assert.deepEqual(sortLogFiles(files), ['/l/audit-2025-01-01T00-00-00.000.log', '/l/audit-2026-12-06T23-04-05.007.log', '/l/audit.log']);
});

test('retention removes the oldest beyond maxbackup and those past maxage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-rot-'));
  try {
    const path = join(dir, 'audit.log');
    const day = 24 * 3600 * 1000;
    const now = Date.UTC(2026, 11, 6);
    const names = [10, 5, 2, 1].map((d) => backupName(path, new Date(now - d * day)));
    for (const n of names) writeFileSync(n, 'x');
    writeFileSync(join(dir, 'unrelated.log'), 'x');
    assert.deepEqual(pruneBackups(path, 3, 0, now), [names[0]]);
    assert.deepEqual(pruneBackups(path, 0, 3, now), [names[1]]);
    assert.ok(existsSync(names[2]!) && existsSync(names[3]!) && existsSync(join(dir, 'unrelated.log')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
