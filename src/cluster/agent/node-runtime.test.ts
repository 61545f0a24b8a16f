import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingForRunc, openRuncNodeRuntime } from './node-runtime.ts';

const missing = missingForRunc();
const skip = missing.length === 0 ? false : process.env.PORTCULLIS_REQUIRE_ALL === '1' ? false : `skipped: this host lacks ${missing.join('; ')}`;

test('the runtime directory (images, container roots) is closed to other users, even below an open data directory', { skip }, () => {
  if (missing.length) throw new Error(`required part missing: ${missing.join('; ')} (PORTCULLIS_REQUIRE_ALL=1)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'node-runtime-'));
  try {
    // An operator-made data directory, and a runtime directory left open by an older agent.
    chmodSync(dataDir, 0o755);
    mkdirSync(join(dataDir, 'runtime'), { mode: 0o755 });
    chmodSync(join(dataDir, 'runtime'), 0o755);
    const rt = openRuncNodeRuntime({ dataDir });
    rt.close();
    assert.equal(statSync(join(dataDir, 'runtime')).mode & 0o777, 0o700);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
