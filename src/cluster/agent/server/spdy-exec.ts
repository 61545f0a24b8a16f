/**
 * exec over SPDY (remotecommand v4.channel.k8s.io, what kubectl before 1.30 speaks and 1.30+ falls
 * back to): the client opens an `error` stream and one per stream asked for (stdin, stdout,
 * stderr; `resize` with a terminal); the session starts once all have come, or fails after
 * STREAM_WAIT_MS as the kubelet's streamCreationTimeout. The final Status goes on the error
 * stream, as over WebSocket v4.
 */
import type { SpdyConnection, SpdyStream } from 'spdy-transport';
import { onStreams } from './spdy-session.ts';
import type { ExecIO, ExecRequest } from './exec-session.ts';

export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io'] as const;
const STREAM_WAIT_MS = 30_000;

export function spdyExecIO(conn: SpdyConnection, socketGone: (cb: () => void) => void, r: ExecRequest): Promise<ExecIO> {
  const wanted = new Set(['error', ...(r.stdin ? ['stdin'] : []), ...(r.stdout ? ['stdout'] : []), ...(r.stderr ? ['stderr'] : []), ...(r.tty ? ['resize'] : [])]);
  const got = new Map<string, SpdyStream>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.destroyStreams();
      reject(new Error('timed out waiting for client to create streams'));
    }, STREAM_WAIT_MS);
    onStreams(conn, (s) => {
      const type = s.headers.streamtype ?? '';
      if (!wanted.has(type) || got.has(type)) return s.abort();
      got.set(type, s);
      if (got.size < wanted.size) return;
      clearTimeout(timer);
      // The client ends stdin by half-closing its stream; the others are the server's to end.
      const error = got.get('error')!;
      resolve({
        stdin: got.get('stdin'),
        stdout: got.get('stdout'),
        stderr: got.get('stderr'),
        resize: got.get('resize'),
        writeStatus: (json) => new Promise<void>((done) => error.end(json, () => done())),
        close: () => conn.end(),
        onGone: socketGone,
      });
    });
  });
}
