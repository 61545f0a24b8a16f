/**
 * Upgrade requests (exec, attach, port-forward) through the same fastify pipeline as every other
 * request: Node hands them to the server's 'upgrade' listener with the raw socket, which is given
 * to fastify behind a ServerResponse, so authentication, authorization, audit and metrics run as
 * usual. A handler that proxies the upgrade takes the socket (takeUpgrade); any other answer is
 * written to the socket and the connection is then closed: a socket that asked to upgrade is never
 * kept for another request (CVE-2018-1002105).
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';

const PENDING = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer; res: ServerResponse }>();

export function routeUpgrades(app: FastifyInstance): void {
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => {
      socket.end();
      socket.once('finish', () => socket.destroy());
    });
    PENDING.set(req, { socket, head, res });
    app.routing(req, res);
  });
}

/**
 * The raw socket of an upgrade request, once: the caller owns it from now on, and calls ended()
 * when the exchange is over so that what waits for the response's end (audit, in-flight metrics)
 * hears of it.
 */
export function takeUpgrade(req: IncomingMessage): { socket: Duplex; head: Buffer; ended: () => void } | undefined {
  const p = PENDING.get(req);
  if (!p) return undefined;
  PENDING.delete(req);
  p.res.detachSocket(p.socket as Socket);
  let once = false;
  const ended = () => {
    if (once) return;
    once = true;
    p.res.emit('close');
  };
  return { socket: p.socket, head: p.head, ended };
}
