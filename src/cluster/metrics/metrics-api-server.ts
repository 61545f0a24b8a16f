/**
 * metrics.k8s.io/v1beta1 as metrics-server serves it: PodMetrics and NodeMetrics (get, list,
 * namespaced pods, label selectors) over HTTPS, for the API server's aggregation layer to proxy to
 * (an APIService v1beta1.metrics.k8s.io over a Service). Only the aggregator may call it: a client
 * certificate from the front-proxy CA (upstream's requestheader-client-ca, optionally limited to
 * requestheader-allowed-names) is required, since the aggregator authenticated and authorized the
 * user before proxying. Read-only: GET only. What it serves comes from a MetricsSource: the
 * simulated nodes' usage hook (sim/metrics-server.ts) or the scrapes of real nodes (node-metrics.ts).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { parseLabelSelector } from '../../api/selectors/label-selector.ts';
import type { NodeMetrics, PodMetrics } from './metrics-types.ts';

const GV = 'metrics.k8s.io/v1beta1';
const PREFIX = `/apis/${GV}`;

/** The metrics there are now; a name or namespace narrows the answer (label selectors are applied here). */
export interface MetricsSource {
  pods(filter: { namespace?: string; name?: string }): PodMetrics[];
  nodes(name?: string): NodeMetrics[];
}

export interface MetricsApiServerOptions {
  certPem: string;
  keyPem: string;
  /** CA of the aggregator's front-proxy client certificates. */
  clientCaPem: string;
  /** Common names the front-proxy certificate may carry (empty: any the CA signed). */
  allowedNames?: readonly string[];
  source: MetricsSource;
}

export const METRICS_DISCOVERY = Object.freeze({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: GV,
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
});

function status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code }));
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function fromFrontProxy(req: IncomingMessage, allowed: readonly string[]): boolean {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized) return false;
  const cn = sock.getPeerCertificate()?.subject?.CN;
  return allowed.length === 0 || (typeof cn === 'string' && allowed.includes(cn));
}

/** Answers one request; exported for the server and its tests. */
export function handleMetrics(o: MetricsApiServerOptions, req: IncomingMessage, res: ServerResponse): void {
  if (!fromFrontProxy(req, o.allowedNames ?? [])) return status(res, 401, 'Unauthorized', 'Unauthorized');
  if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  const url = new URL(req.url ?? '/', 'https://metrics.invalid');
  const path = url.pathname.replace(/\/$/, '');
  if (path === PREFIX) return json(res, METRICS_DISCOVERY);
  const m = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?(pods|nodes)(?:\/([^/]+))?$/.exec(path);
  if (!m || (m[1] !== undefined && m[2] === 'nodes')) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
  const [, ns, resource, name] = m;
  let selector;
  try {
    selector = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
  } catch (err) {
    return status(res, 400, 'BadRequest', (err as Error).message);
  }
  if (resource === 'pods') {
    const items = o.source.pods({ namespace: ns, name }).filter((p) => selector.matches(p.metadata.labels));
    if (name !== undefined) {
      if (items.length === 0) return status(res, 404, 'NotFound', `pods.metrics.k8s.io "${name}" not found`, { name, group: 'metrics.k8s.io', kind: 'pods' });
      return json(res, items[0]);
    }
    return json(res, { kind: 'PodMetricsList', apiVersion: GV, metadata: {}, items });
  }
  const items = o.source.nodes(name).filter((n) => selector.matches(n.metadata.labels));
  if (name !== undefined) {
    if (items.length === 0) return status(res, 404, 'NotFound', `nodes.metrics.k8s.io "${name}" not found`, { name, group: 'metrics.k8s.io', kind: 'nodes' });
    return json(res, items[0]);
  }
  return json(res, { kind: 'NodeMetricsList', apiVersion: GV, metadata: {}, items });
}

/** Starts the HTTPS server on host:port (port 0: any free port); resolves with it listening. */
export async function startMetricsApiServer(o: MetricsApiServerOptions, host: string, port: number): Promise<Server> {
  const server = createServer({ cert: o.certPem, key: o.keyPem, ca: o.clientCaPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    try {
      handleMetrics(o, req, res);
    } catch {
      if (!res.headersSent) status(res, 500, 'InternalError', 'an error on the server has prevented the request from succeeding');
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
