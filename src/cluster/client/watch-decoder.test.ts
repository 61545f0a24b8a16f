import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { protobufWatchFrame } from '../../api/codecs/protobuf-encode.ts';
import { lengthFramer, lineFramer, parseProtobufWatchEvent } from './watch-decoder.ts';

test('line framer: events split at any byte come out whole', () => {
  const text = '{"type":"ADDED"}\n{"type":"DELETED"}\n';
  const f = lineFramer();
  const out: string[] = [];
  for (const b of Buffer.from(text)) out.push(...f.push(Buffer.of(b)).map((x) => x.toString()));
  assert.deepEqual(out, ['{"type":"ADDED"}', '{"type":"DELETED"}']);
  assert.equal(f.pending(), 0);
});

test('length framer: protobuf watch frames split at any byte; WatchEvent parsed to type and raw body', () => {
  const raw1 = Uint8Array.of(0x6b, 0x38, 0x73, 0, 1, 2, 3);
  const raw2 = new Uint8Array(300).fill(7);
  const bytes = Buffer.concat([protobufWatchFrame('ADDED', raw1), protobufWatchFrame('BOOKMARK', raw2)]);
  const f = lengthFramer();
  const frames: Buffer[] = [];
  for (const b of bytes) frames.push(...f.push(Buffer.of(b)));
  const evs = frames.map(parseProtobufWatchEvent);
  assert.deepEqual(evs.map((e) => e.type), ['ADDED', 'BOOKMARK']);
  assert.deepEqual([...evs[0].raw], [...raw1]);
  assert.deepEqual([...evs[1].raw], [...raw2]);
});

test('framers refuse an event past the bound instead of buffering it', () => {
  assert.throws(() => lineFramer(8).push(Buffer.from('0123456789')), /larger than 8 bytes/);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(9);
  assert.throws(() => lengthFramer(8).push(head), /larger than 8 bytes/);
});
