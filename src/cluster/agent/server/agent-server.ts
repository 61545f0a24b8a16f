/**
 * The agent's HTTPS server (the kubelet's :10250): what the API server reaches for `kubectl logs`,
 * `exec` and `port-forward`. Every request, plain or upgrade, is first authenticated by its client
 * certificate against the cluster CA (no certificate, another CA, an expired one or one without
 * clientAuth usage: 401) and then authorized by a SubjectAccessReview on nodes/<this node> with
 * the subresource and verb the kubelet derives (403 otherwise); only then is the path looked at.
 * A refused upgrade gets its answer and the connection is closed, never kept for another request.
 *
 * Served: GET /containerLogs/{ns}/{pod}/{container}, GET /metrics/resource (resource-metrics.ts),
 * GET /metrics/probes (probes/probe-metrics.ts), GET|POST /stats/summary (stats-summary.ts),
 * DELETE /localPath/{pv}?uid= (a released local-path volume's directory: volumes/local-path-records.ts); WebSocket (and SPDY) upgrades of
 * /exec/{ns}/{pod}/{c}, /attach/{ns}/{pod}/{c} and /portForward/{ns}/{pod}.
 * The serving certificate is the node's kubelet-serving one and follows its rotation.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { X509Authenticator } from '../../../authn/x509.ts';
import type { ContainerRuntime } from '../runtime/types.ts';
import { serveContainerLogs } from './container-logs.ts';
import { StreamTargetError } from './find-container.ts';
import type { PortDialer } from './port-forward.ts';
import { nodeRequestAttributes } from './request-attributes.ts';
import { resourceMetricsText } from './resource-metrics.ts';
import { StatsSummary, type ClaimVolume } from './stats-summary.ts';
import { removeLocalPath } from '../volumes/local-path-records.ts';
import { readNodeStats, type UsageStats } from '../runtime/cgroup-stats.ts';
import type { PeerUser, ReviewAccess } from './review-access.ts';

export interface AgentServerOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  /** The serving certificate (kubelet-serving); replace it with setCertificate on rotation. */
  cert: { certPem: string; keyPem: string };
  /** CA whose client certificates are accepted (the cluster CA). */
  clientCaPem: string;
  review: ReviewAccess;
  dial?: PortDialer;
  /** The node's own CPU and memory for /metrics/resource (default: /proc/stat and /proc/meminfo). */
  nodeStats?: () => Promise<UsageStats>;
  /** The prober metrics' text for /metrics/probes (none: the endpoint serves no series). */
  probeMetrics?: () => Promise<string>;
  /** The agent's data directory: file system and pod volume figures of /stats/summary (none: left out). */
  dataDir?: string;
  /** Whether a pod here uses a volume at this path (DELETE /localPath refuses then; none: every path counts as in use). */
  volumePathInUse?: (path: string) => boolean;
  /** Bytes the node's images take (/stats/summary runtime.imageFs.usedBytes). */
  imagesUsage?: () => Promise<number>;
  /** A pod's volumes from claims, where they were set up (/stats/summary's pvcRef volumes; none: left out). */
  claimVolumes?: (podUid: string) => readonly ClaimVolume[];
  now?: () => Date;
  log: { warn(o: object, m: string): void };
}

export interface AgentServer {
  readonly port: number;
  setCertificate(c: { certPem: string; keyPem: string }): void;
  close(): Promise<void>;
}

type Answer = { code: number; text: string };

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

/** The path's parts when it is /<kind>/<segments...> with exactly `n` non-empty segments. */
function route(path: string, kind: string, n: number): string[] | undefined {
  const parts = path.split('/').slice(1);
  if (parts[0] !== kind || parts.length !== n + 1 || parts.slice(1).some((p) => p === '')) return undefined;
  try {
    return parts.slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

export function startAgentServer(o: AgentServerOptions, port: number, host: string): Promise<AgentServer> {
  const authn = new X509Authenticator({ clientCaPem: o.clientCaPem, now: o.now });
  const now = o.now ?? (() => new Date());
  const nodeStats = o.nodeStats ?? (() => readNodeStats({ now }));
  const stats = new StatsSummary({ nodeName: o.nodeName, runtime: o.runtime, nodeStats, dataDir: o.dataDir, imagesUsage: o.imagesUsage, claimVolumes: o.claimVolumes, now });

  /** Who is asking and whether they may: undefined when allowed, else the refusal. */
  const admit = async (req: IncomingMessage, path: string): Promise<Answer | undefined> => {
    const r = await authn.authenticate({ headers: req.headers, socket: req.socket as TLSSocket });
    if (r.kind !== 'authenticated') return { code: 401, text: 'Unauthorized' };
    const a = nodeRequestAttributes(o.nodeName, req.method ?? '', path);
    if (!a) return { code: 405, text: 'Method Not Allowed' };
    const user: PeerUser = { username: r.user.username, groups: r.user.groups ?? [], uid: r.user.uid, extra: r.user.extra };
    const v = await o.review(user, a);
    if (!v.allowed) return { code: 403, text: `Forbidden (user=${user.username}, verb=${a.verb}, resource=${a.resource}, subresource=${a.subresource})` };
    return undefined;
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    const send = (x: Answer) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(x.code, { 'content-type': 'text/plain; charset=utf-8' }).end(x.text);
    };
    try {
      const refused = await admit(req, url.pathname);
      if (refused) return send(refused);
      const logs = route(url.pathname, 'containerLogs', 3);
      if (logs && (req.method === 'GET' || req.method === 'HEAD')) return await serveContainerLogs(o.runtime, logs[0], logs[1], logs[2], url.searchParams, now(), res);
      if (url.pathname === '/metrics/resource' && req.method === 'GET') {
        const text = await resourceMetricsText({ runtime: o.runtime, nodeStats });
        return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
      }
      if (url.pathname === '/metrics/probes' && req.method === 'GET') {
        return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end((await o.probeMetrics?.()) ?? '');
      }
      if (url.pathname === '/stats/summary' && (req.method === 'GET' || req.method === 'POST')) {
        let summary: object;
        try {
          summary = await stats.summary(url.searchParams.getAll('only_cpu_and_memory').join() === 'true');
        } catch (err) {
          return send({ code: 500, text: `Internal Error: ${(err as Error).message}` });
        }
        // go-restful's WriteAsJson: indented by one space.
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(summary, null, 1));
      }
      const localPath = route(url.pathname, 'localPath', 1);
      if (localPath && req.method === 'DELETE') {
        if (!o.dataDir) return send({ code: 404, text: '404 page not found' });
        const r = await removeLocalPath(o.dataDir, localPath[0]!, url.searchParams.get('uid') ?? '', o.volumePathInUse ?? (() => true));
        if ('unknown' in r) return send({ code: 404, text: `no local-path volume ${JSON.stringify(localPath[0])} was made on this node` });
        if ('inUse' in r) return send({ code: 409, text: `local-path volume ${JSON.stringify(localPath[0])} is still used by a pod on this node` });
        if ('otherUid' in r) return send({ code: 409, text: `local-path volume ${JSON.stringify(localPath[0])} on this node belongs to uid ${r.otherUid}, not ${url.searchParams.get('uid') ?? ''}` });
        o.log.warn({ pv: localPath[0], path: r.removed }, 'released local-path volume removed');
        return send({ code: 200, text: `removed ${r.removed}` });
      }
      if (/^\/(exec|attach|portForward)\//.test(url.pathname)) return send({ code: 400, text: 'Upgrade request required' });
      send({ code: 404, text: '404 page not found' });
    } catch (err) {
      send(err instanceof StreamTargetError ? { code: err.code, text: err.message } : { code: 500, text: (err as Error).message });
    }
  };

  const upgraded = new Set<Duplex>();
  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const url = new URL(req.url ?? '/', 'https://agent');
    // Anything but a completed handshake ends with this answer and a closed connection.
    const refuse = (x: Answer) => {
      const body = Buffer.from(x.text, 'utf8');
      socket.end(`HTTP/1.1 ${x.code} ${REASONS[x.code] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${x.text}`);
      socket.once('finish', () => socket.destroy());
    };
    try {
      const refused = await admit(req, url.pathname);
      if (refused) return refuse(refused);
      const attach = route(url.pathname, 'attach', 3);
      const exec = route(url.pathname, 'exec', 3) ?? attach;
      const portForward = route(url.pathname, 'portForward', 2);
      if (exec || portForward) {
        // Loaded on the first such request: the SPDY and WebSocket libraries stay out of an agent
        // whose pods nobody execs into (stream-upgrade.ts).
        const { serveStreamUpgrade } = await import('./stream-upgrade.ts');
        return await serveStreamUpgrade({ runtime: o.runtime, dial: o.dial }, req, socket, head, url.searchParams, exec ? { exec, attach: !!attach } : { portForward: portForward! }, refuse);
      }
      refuse({ code: 404, text: '404 page not found' });
    } catch (err) {
      if (err instanceof StreamTargetError) return refuse({ code: err.code, text: err.message });
      o.log.warn({ err: (err as Error).message, path: url.pathname }, 'agent server: upgrade failed');
      refuse({ code: 500, text: (err as Error).message });
    }
  };

  const server: Server = createServer({
    cert: o.cert.certPem, key: o.cert.keyPem, ca: o.clientCaPem,
    // Asked for but judged by the authenticator, so a bad one is a 401 rather than a TLS alert.
    requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2',
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void onRequest(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        setCertificate: (c) => server.setSecureContext({ cert: c.certPem, key: c.keyPem, ca: o.clientCaPem }),
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
          for (const s of upgraded) s.destroy();
        }),
      });
    });
  });
}
