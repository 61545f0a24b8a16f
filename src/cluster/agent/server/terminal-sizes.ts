/**
 * The resize stream of an exec or attach with a terminal (channel 4 over WebSocket, the `resize`
 * stream over SPDY): JSON objects {"Width":W,"Height":H} one after another, as client-go's
 * json.Encoder writes them. Turned into an object-mode stream of TerminalSize; anything else is
 * skipped; a client that sends no closing brace cannot make the buffer grow past 4 KiB, and at
 * most 16 sizes wait for a reader.
 */
import { Readable } from 'node:stream';
import type { TerminalSize } from '../runtime/types.ts';

const MAX_PENDING = 4096;
/** Sizes nobody has taken yet (a runtime that ignores them): beyond this they are dropped. */
const MAX_QUEUED = 16;

export function terminalSizes(raw: Readable): Readable {
  const out = new Readable({ objectMode: true, read: () => undefined });
  let pending = '';
  raw.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    for (;;) {
      const end = pending.indexOf('}');
      if (end < 0) break;
      const text = pending.slice(pending.lastIndexOf('{', end), end + 1);
      pending = pending.slice(end + 1);
      try {
        const v = JSON.parse(text) as { Width?: unknown; Height?: unknown };
        const width = Number(v.Width);
        const height = Number(v.Height);
        if (Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width < 65536 && height < 65536 && out.readableLength < MAX_QUEUED) out.push({ width, height } satisfies TerminalSize);
      } catch {
        // not a size: skipped
      }
    }
    if (pending.length > MAX_PENDING) pending = '';
  });
  raw.on('end', () => out.push(null));
  raw.on('close', () => out.push(null));
  raw.on('error', () => out.push(null));
  return out;
}
