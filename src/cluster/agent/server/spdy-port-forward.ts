/**
 * Port forwarding over SPDY (the kubelet's portforward/httpstream.go, protocol portforward.k8s.io):
 * for each connection the client opens an `error` and a `data` stream with the same `requestid`
 * and the `port`; once both are there the agent connects to the port in the pod and copies bytes
 * both ways; a failure to connect is written as text on the error stream. The ports come with the
 * streams, not the query.
 */
import type { SpdyConnection, SpdyStream } from 'spdy-transport';
import type { SandboxStatus } from '../runtime/types.ts';
import type { PortDialer } from './port-forward.ts';
import { onStreams } from './spdy-session.ts';

export const SPDY_PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** The WebSocket subprotocol of client-go's tunnel (PortForwardWebsockets): SPDY inside WebSocket. */
export const SPDY_TUNNEL_PROTOCOL = `SPDY/3.1+${SPDY_PORT_FORWARD_PROTOCOL}`;

export function runSpdyPortForward(conn: SpdyConnection, sandbox: SandboxStatus, dial: PortDialer): void {
  const pending = new Map<string, { data?: SpdyStream; error?: SpdyStream }>();
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
    const pair = pending.get(id) ?? {};
    if (pair[type]) return s.abort();
    pair[type] = s;
    pending.set(id, pair);
    if (!pair.data || !pair.error) return;
    pending.delete(id);
    forward(pair.data, pair.error, port, sandbox, dial);
  });
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
