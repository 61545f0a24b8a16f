import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { mainHeap, workerHeapsAfterGc } from './thread-heaps.ts';

test('a worker thread\'s heap after its GC: what it keeps, not its garbage; the main thread\'s as it is', async () => {
  // The worker keeps ~20 MB of arrays and drops as much again as garbage.
  const src = `const { parentPort } = require('node:worker_threads');
    globalThis.keep = Array.from({ length: 20 }, () => new Array(125_000).fill(1.5));
    let junk = Array.from({ length: 20 }, () => new Array(125_000).fill(2.5)); junk = null;
    parentPort.postMessage('ready'); setInterval(() => {}, 1000);`;
  const w = new Worker(src, { eval: true });
  try {
    await new Promise((r) => w.once('message', r));
    const heaps = await workerHeapsAfterGc();
    assert.equal(heaps.length, 1);
    assert.ok(heaps[0]!.usedAfterGcMiB > 18 && heaps[0]!.usedAfterGcMiB < 30, `used after GC ${heaps[0]!.usedAfterGcMiB} MiB`);
    assert.ok(heaps[0]!.totalMiB >= heaps[0]!.usedAfterGcMiB);
    // Detached again: a second reading attaches anew.
    assert.equal((await workerHeapsAfterGc()).length, 1);
  } finally {
    await w.terminate();
  }
  const main = mainHeap();
  assert.ok(main.usedMiB > 0 && main.totalMiB >= main.usedMiB && main.newSpaceMiB > 0);
});
