/**
 * Port forwarding over SPDY (the kubelet's portforward/httpstream.go, protocol portforward.k8s.io):
 * for each connection the client opens an `error` and a `data` stream with the same `requestid`
 * and the `port`; once both are there the agent connects to the port in the pod and copies bytes
 * both ways; a failure to connect is written as text on the error stream. The ports come with the
 * streams, not the query.
 *
 * A half pair waits at most STREAM_CREATION_TIMEOUT_MS for its partner (the kubelet's
 * monitorStreamPair with the 30 s stream creation timeout) and is forgotten as soon as its stream
 * closes: otherwise a client opening and closing streams under ever new request ids would grow the
 * table of half pairs for as long as the connection lives (the session's stream bound counts only
 * open streams).
 */
import type { SpdyConnection, SpdyStream } from 'spdy-transport';
import type { SandboxStatus } from '../runtime/types.ts';
import type { PortDialer } from './port-forward.ts';
import { onStreams } from './spdy-session.ts';

export const SPDY_PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The WebSocket subprotocol of client-go's tunnel (PortForwardWebsockets): SPDY inside WebSocket. */
export const SPDY_TUNNEL_PROTOCOL = `SPDY/3.1+${SPDY_PORT_FORWARD_PROTOCOL}`;

/** remotecommandconsts.DefaultStreamCreationTimeout, what the kubelet waits for a pair's second stream. */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

interface HalfPair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

export function runSpdyPortForward(conn: SpdyConnection, sandbox: SandboxStatus, dial: PortDialer, streamCreationTimeoutMs = STREAM_CREATION_TIMEOUT_MS): { pendingPairs(): number } {
  const pending = new Map<string, HalfPair>();
  const forget = (id: string, pair: HalfPair) => {
    if (pending.get(id) !== pair) return;
    clearTimeout(pair.timer);
    pending.delete(id);
  };
  onStreams(conn, (s) => {
    const type = s.headers.streamtype;
    const id = s.headers.requestid ?? '';
    const portText = s.headers.port ?? '';
    const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if ((type !== 'data' && type !== 'error') || !(port >= 1 && port <= 65535)) {
      if (type === 'error') s.end(`invalid port ${JSON.stringify(portText)}`);
      else s.abort();
      return;
    }
    let pair = pending.get(id);
    if (!pair) {
      const created: HalfPair = {
        timer: setTimeout(() => {
          forget(id, created);
          created.error?.end(`(request=${id}) timed out waiting for streams`);
          created.data?.abort();
        }, streamCreationTimeoutMs),
      };
      pending.set(id, (pair = created));
    }
    if (pair[type]) return s.abort();
    pair[type] = s;
    const half = pair;
    s.once('close', () => forget(id, half));
    if (!pair.data || !pair.error) return;
    forget(id, pair);
    forward(pair.data, pair.error, port, sandbox, dial);
  });
  return { pendingPairs: () => pending.size };
}

function forward(data: SpdyStream, error: SpdyStream, port: number, sandbox: SandboxStatus, dial: PortDialer): void {
  const fail = (err: Error) => error.end(`error forwarding port ${port} to pod ${sandbox.pod.name}, uid ${sandbox.pod.uid}: ${err.message}`);
  dial(sandbox, port).then(
    (sock) => {
      data.pipe(sock);
      sock.pipe(data);
      sock.on('error', fail);
      sock.on('close', () => {
        data.end();
        error.end();
      });
      data.on('close', () => sock.destroy());
    },
    (err: Error) => {
      fail(err);
      data.end();
    },
  );
}
