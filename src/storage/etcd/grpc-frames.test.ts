import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameError, frame } from './grpc-frames.ts';

test('frames split anywhere come out whole, in order', () => {
  const a = Buffer.from('first message');
  const b = Buffer.alloc(70_000, 7);
  const c = Buffer.alloc(0);
  const wire = Buffer.concat([frame(a), frame(b), frame(c)]);
  for (const step of [1, 3, 5, 6, 1000, wire.length]) {
    const d = new FrameDecoder(1 << 20);
    const out: Buffer[] = [];
    for (let i = 0; i < wire.length; i += step) out.push(...d.push(wire.subarray(i, i + step)));
    assert.deepEqual(out.map((m) => m.length), [a.length, b.length, 0], `step ${step}`);
    assert.deepEqual(out[0], a);
    assert.deepEqual(out[1], b);
    assert.equal(d.pending, 0);
  }
});

test('a frame over the bound is refused from its header, before its bytes are held', () => {
  const d = new FrameDecoder(10);
  const header = frame(Buffer.alloc(11)).subarray(0, 5);
  assert.throws(() => d.push(header), (err: unknown) => err instanceof FrameError && err.code === 8 && /larger than max \(11 vs\. 10\)/.test(err.message));
});

test('a compressed frame is refused (none is asked for)', () => {
  const f = frame(Buffer.from('x'));
  f[0] = 1;
  assert.throws(() => new FrameDecoder(10).push(f), (err: unknown) => err instanceof FrameError && err.code === 13);
});

test('whole messages one per chunk, between split ones, come out as sent', () => {
  const a = Buffer.from('one whole message');
  const b = Buffer.alloc(300, 9);
  const d = new FrameDecoder(1 << 20);
  assert.deepEqual(d.push(frame(a)), [a]);
  const fb = frame(b);
  assert.deepEqual(d.push(fb.subarray(0, 7)), []);
  assert.deepEqual(d.push(Buffer.concat([fb.subarray(7), frame(a).subarray(0, 2)])), [b]);
  assert.deepEqual(d.push(frame(a).subarray(2)), [a]);
  assert.deepEqual(d.push(frame(Buffer.alloc(0))), [Buffer.alloc(0)]);
  assert.equal(d.pending, 0);
  assert.throws(() => new FrameDecoder(10).push(frame(Buffer.alloc(11))), (err: unknown) => err instanceof FrameError && err.code === 8);
});
