/**
 * The agent server's streaming requests once admitted (agent-server.ts): exec and attach over
 * SPDY/3.1 or the WebSocket channel protocols, port-forward over SPDY/3.1, SPDY tunnelled in
 * WebSocket (kubectl 1.31+) or the kubelet's own WebSocket protocols. A module of its own, loaded
 * on the first such request: the SPDY and WebSocket libraries it brings (spdy-transport, hpack,
 * ws) take resident memory for the agent's life, and most nodes never serve a stream.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContainerRuntime } from '../runtime/types.ts';
import { acceptChannels, acceptWebSocket, CHANNEL_PROTOCOLS, pickProtocol } from './channels.ts';
import { SPDY_EXEC_PROTOCOLS, spdyExecIO } from './spdy-exec.ts';
import { runSpdyPortForward, SPDY_PORT_FORWARD_PROTOCOL, SPDY_TUNNEL_PROTOCOL } from './spdy-port-forward.ts';
import { acceptSpdyUpgrade, negotiationError, offeredStreamProtocols, spdyOverWebSocket } from './spdy-session.ts';
import { channelIO, execRequest, runExec } from './exec-session.ts';
import { runAttach } from './attach-session.ts';
import { findRunningContainer, findSandbox } from './find-container.ts';
import { forwardedPorts, netnsDialer, runPortForward, type PortDialer } from './port-forward.ts';

type Answer = { code: number; text: string };

/** /exec or /attach: namespace, pod, container; /portForward: namespace, pod. */
export type StreamRoute = { exec: string[]; attach: boolean } | { portForward: string[] };

/**
 * Serves one upgrade request to its end, or answers it with `refuse`. A StreamTargetError (no such
 * container or sandbox) is thrown for the caller to answer.
 */
export async function serveStreamUpgrade(o: { runtime: ContainerRuntime; dial?: PortDialer }, req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams, to: StreamRoute, refuse: (x: Answer) => void): Promise<void> {
  // The target is looked up before the protocol, so a client falling back from WebSocket to
  // SPDY hears why it failed (container not found) rather than something about protocols.
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  const websocket = upgrade === 'websocket';
  const spdy = upgrade === 'spdy/3.1';
  const unsupported = { code: 400, text: `unsupported upgrade ${JSON.stringify(req.headers.upgrade ?? '')}: websocket or SPDY/3.1` };
  if ('exec' in to) {
    const [namespace, pod, container] = to.exec as [string, string, string];
    const r = execRequest(query, to.attach);
    const c = await findRunningContainer(o.runtime, namespace, pod, container);
    const run = to.attach ? runAttach : runExec;
    if (spdy) {
      const offered = offeredStreamProtocols(req);
      const p = SPDY_EXEC_PROTOCOLS.find((x) => offered.includes(x));
      if (!p) return refuse({ code: 403, text: negotiationError(offered, SPDY_EXEC_PROTOCOLS) });
      const conn = acceptSpdyUpgrade(socket, head, p);
      return await run(o.runtime, c.id, r, await spdyExecIO(conn, (cb) => socket.once('close', cb), r));
    }
    const protocol = pickProtocol(req.headers['sec-websocket-protocol'], CHANNEL_PROTOCOLS);
    if (!websocket) return refuse(unsupported);
    if (!protocol) return refuse({ code: 400, text: `no supported protocol offered: want one of ${CHANNEL_PROTOCOLS.join(', ')}` });
    return await run(o.runtime, c.id, r, channelIO(await acceptChannels(req, socket, head, protocol), r));
  }
  const [namespace, pod] = to.portForward as [string, string];
  const dial = o.dial ?? netnsDialer;
  const sandbox = await findSandbox(o.runtime, namespace, pod);
  if (spdy) {
    const offered = offeredStreamProtocols(req);
    if (!offered.includes(SPDY_PORT_FORWARD_PROTOCOL)) return refuse({ code: 403, text: negotiationError(offered, [SPDY_PORT_FORWARD_PROTOCOL]) });
    return void runSpdyPortForward(acceptSpdyUpgrade(socket, head, SPDY_PORT_FORWARD_PROTOCOL), sandbox, dial);
  }
  if (!websocket) return refuse(unsupported);
  // SPDY tunnelled in WebSocket (kubectl 1.31+), else the kubelet's own WebSocket protocols.
  if (pickProtocol(req.headers['sec-websocket-protocol'], [SPDY_TUNNEL_PROTOCOL])) {
    return void runSpdyPortForward(spdyOverWebSocket(await acceptWebSocket(req, socket, head, SPDY_TUNNEL_PROTOCOL)), sandbox, dial);
  }
  const ports = forwardedPorts(query);
  const p = pickProtocol(req.headers['sec-websocket-protocol'], ['v4.channel.k8s.io', 'portforward.k8s.io']) ?? '';
  return await runPortForward(sandbox, ports, dial, await acceptChannels(req, socket, head, p));
}
