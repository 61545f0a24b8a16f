import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProber } from './prober.ts';

test('a prober whose command fails answers EPROBER, whenever the request is written (no EPIPE crash)', async () => {
  for (const delayMs of [0, 1, 5, 20, 50]) {
    const p = startProber(['false']);
    await new Promise((r) => setTimeout(r, delayMs));
    assert.deepEqual(await p.connect('127.0.0.1', 1, 100), { ok: false, code: 'EPROBER' }, `after ${delayMs} ms`);
    p.close();
  }
});
