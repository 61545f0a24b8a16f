/**
 * Waiting out a stream's backpressure. A Writable that fails or closes while full never emits
 * 'drain', so a plain `once('drain')` waits for ever (and a failure with no 'error' listener ends
 * the process). This wait ends on 'drain', 'close' or 'error'; the caller then writes on, or finds
 * the failure in `sink.errored` / `sink.destroyed`.
 */
import type { Writable } from 'node:stream';

export function drained(sink: Writable): Promise<void> {
  if (sink.destroyed || !sink.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('close', done);
      sink.off('error', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
    sink.on('error', done);
  });
}

/** Writes with backpressure; throws the sink's failure (or that it closed) instead of writing on. */
export async function writeOrThrow(sink: Writable, chunk: Buffer): Promise<void> {
  if (!sink.write(chunk)) await drained(sink);
  if (sink.errored) throw sink.errored;
  if (sink.destroyed) throw new Error('the output closed');
}
