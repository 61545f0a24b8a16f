import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { parseCriLogLine, relayCriLog } from './cri-log.ts';

test('CRI log lines: one F record per line, long lines split into P records, the tail at EOF flushed', async () => {
  const lines: string[] = [];
  const src = new PassThrough();
  const clock = () => new Date('2026-01-02T03:04:05.678Z');
  const done = relayCriLog(src, 'stderr', { write: (l) => lines.push(l) }, clock, 8);
  src.write('hello\nwor');
  src.write('ld\n0123456789abc\nno newline');
  src.end();
  await done;
  assert.deepEqual(lines, [
    '2026-01-02T03:04:05.678Z stderr F hello\n',
    '2026-01-02T03:04:05.678Z stderr F world\n',
    '2026-01-02T03:04:05.678Z stderr P 01234567\n',
    '2026-01-02T03:04:05.678Z stderr F 89abc\n',
    '2026-01-02T03:04:05.678Z stderr P no newli\n',
    '2026-01-02T03:04:05.678Z stderr F ne\n',
  ]);
  assert.deepEqual(parseCriLogLine('2026-01-02T03:04:05.678Z stdout F a b'), { time: '2026-01-02T03:04:05.678Z', stream: 'stdout', partial: false, text: 'a b' });
  assert.equal(parseCriLogLine('garbage'), undefined);
});
