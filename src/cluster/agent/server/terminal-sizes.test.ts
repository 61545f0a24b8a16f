import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { terminalSizes } from './terminal-sizes.ts';

test('resize messages become sizes, split or joined anyhow; junk is skipped', async () => {
  const raw = new PassThrough();
  const sizes = terminalSizes(raw);
  const got: unknown[] = [];
  sizes.on('data', (s) => got.push(s));
  raw.write('{"Width":80,"Height":24}\n{"Wid');
  raw.write('th":100,"Height":30}');
  raw.write('{"Width":-1,"Height":5}not json}{"Width":"x"}');
  raw.write(`{${'a'.repeat(5000)}`);
  raw.end('{"Width":120,"Height":40}');
  await new Promise((r) => sizes.on('end', r));
  assert.deepEqual(got, [{ width: 80, height: 24 }, { width: 100, height: 30 }, { width: 120, height: 40 }]);
});
