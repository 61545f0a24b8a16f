import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PayloadError, validatePayloadPath, writeAtomically, type Payload } from './atomic-writer.ts';

const p = (entries: Record<string, [string, number]>): Payload => new Map(Object.entries(entries).map(([k, [d, mode]]) => [k, { data: Buffer.from(d), mode }]));

test('files appear through ..data and top-level symlinks, with exact modes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-'));
  try {
    const t = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(await writeAtomically(dir, p({ a: ['1', 0o400], 'sub/b': ['2', 0o644] }), { now: () => t }), true);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), '1');
    assert.equal(readFileSync(join(dir, 'sub/b'), 'utf8'), '2');
    assert.equal(readlinkSync(join(dir, 'a')), '..data/a');
    assert.equal(readlinkSync(join(dir, 'sub')), '..data/sub');
    assert.match(readlinkSync(join(dir, '..data')), /^\.\.2024_01_02_03_04_05\./);
    assert.equal(statSync(join(dir, 'a')).mode & 0o7777, 0o400);
    // The same payload again writes nothing.
    const before = readlinkSync(join(dir, '..data'));
    assert.equal(await writeAtomically(dir, p({ a: ['1', 0o400], 'sub/b': ['2', 0o644] })), false);
    assert.equal(readlinkSync(join(dir, '..data')), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an update swaps ..data, removes paths no longer there and the old directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-'));
  try {
    await writeAtomically(dir, p({ a: ['1', 0o644], gone: ['x', 0o644] }));
    const old = readlinkSync(join(dir, '..data'));
    assert.equal(await writeAtomically(dir, p({ a: ['2', 0o644] })), true);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), '2');
    assert.throws(() => lstatSync(join(dir, 'gone')));
    assert.ok(!readdirSync(dir).includes(old), 'the old timestamped directory is removed');
    assert.deepEqual(readdirSync(dir).filter((e) => e.startsWith('..') && e !== '..data').length, 1);
    // A mode change alone is an update.
    assert.equal(await writeAtomically(dir, p({ a: ['2', 0o600] })), true);
    assert.equal(statSync(join(dir, 'a')).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('payload paths are validated as upstream', () => {
  for (const bad of ['/abs', '../x', 'a/../b', '..x', '']) assert.throws(() => validatePayloadPath(bad), PayloadError, bad);
  assert.throws(() => validatePayloadPath('..x'), /must not start with '\.\.'/);
  assert.throws(() => validatePayloadPath('a/../b'), /must not contain '\.\.'/);
  validatePayloadPath('a/b..c');
});

test("paths are written cleaned, as upstream's validatePayload; one that cleans to the volume itself or to '..' is refused and nothing is touched", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-'));
  try {
    assert.equal(await writeAtomically(dir, p({ a: ['1', 0o644] })), true);
    // './x' once made '.' a top-level entry: the volume directory was removed and became a symlink.
    for (const bad of ['./..data', '.', './', 'x/../..data_tmp']) {
      await assert.rejects(writeAtomically(dir, p({ [bad]: ['x', 0o644] })), PayloadError, bad);
      assert.ok(lstatSync(dir).isDirectory(), bad);
      assert.equal(readFileSync(join(dir, 'a'), 'utf8'), '1', bad);
    }
    assert.equal(await writeAtomically(dir, p({ './b': ['2', 0o644], 'c/./d': ['3', 0o644] })), true);
    assert.ok(lstatSync(dir).isDirectory());
    assert.equal(readlinkSync(join(dir, 'b')), '..data/b');
    assert.equal(readFileSync(join(dir, 'c/d'), 'utf8'), '3');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
