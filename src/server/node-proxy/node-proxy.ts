/**
 * nodes/proxy, as kube-apiserver's node ProxyREST: /api/v1/nodes/{name}/proxy/{path} goes to that
 * node's agent endpoint (the address and port kubeletAddress finds in the Node) over HTTPS with
 * this server's kubelet-client identity, the path after /proxy and the query unchanged, and the
 * agent's answer comes back as it is. This is how `kubectl get --raw
 * /api/v1/nodes/N/proxy/stats/summary` or `.../metrics/resource` reach an agent; the agent
 * authorizes this server's identity again (nodes/stats, nodes/metrics, ...). The pipeline has
 * authorized the user for `<verb> nodes/proxy`. The name may carry a port (`name:port`,
 * `https:name:port`) as upstream's SplitSchemeNamePort reads it. Only the agent's own port is
 * served (the scheme then ignored, as upstream): upstream sends any other port through its plain
 * proxy transport, without the kubelet-client certificate; this server has no such transport, and
 * presenting its kubelet-client identity to whatever listens on another port of the node's address
 * (this very API server, when the node runs beside it) would lend that identity to anyone allowed
 * nodes/proxy. Upgrades (exec through nodes/proxy) are not served.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../../api/errors.ts';
import type { RestContext, RestRequest } from '../rest/context.ts';
import { kubeletAddress } from './kubelet-location.ts';
import { proxyPassThrough, type KubeletClientTls } from './kubelet-proxy.ts';

/** Request headers that describe the body or what the client accepts; nothing else goes to the agent. */
const FORWARDED = ['accept', 'accept-encoding', 'content-type'];

/** SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port`. */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port?: number } | undefined {
  const parts = id.split(':');
  let scheme = '';
  let name: string;
  let port = '';
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [name, port] = parts as [string, string];
  else if (parts.length === 3) [scheme, name, port] = parts as [string, string, string];
  else return undefined;
  if (name === '' || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) return undefined;
  if (port !== '' && !(/^\d+$/.test(port) && Number(port) > 0 && Number(port) <= 65535)) return undefined;
  return { scheme, name, ...(port ? { port: Number(port) } : {}) };
}

/**
 * The raw path after /nodes/{name}/proxy (at least "/", trailing slash kept) and the raw query,
 * both as the client sent them: upstream's UpgradeAwareHandler passes RawQuery on unchanged, where
 * decoding and re-encoding it would rewrite what the agent is asked (a space as +, %2B as +, ...).
 */
export function proxiedRequest(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  const segments = (q >= 0 ? url.slice(0, q) : url).split('/');
  const at = segments.indexOf('nodes');
  const rest = at >= 0 && segments[at + 2] === 'proxy' ? segments.slice(at + 3) : [];
  return { path: `/${rest.join('/')}`, query: q >= 0 ? url.slice(q + 1) : '' };
}

export async function serveNodeProxy(ctx: RestContext, tls: KubeletClientTls | undefined, r: RestRequest, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const id = splitSchemeNamePort(r.info.name);
  if (!id) throw badRequest(`invalid node request "${r.info.name}"`);
  if (!tls) throw badRequest('this API server has no client identity for node agents: nodes/proxy is not available');
  const addr = await kubeletAddress(ctx, id.name);
  if (id.port !== undefined && id.port !== addr.port) {
    throw badRequest(`nodes/proxy reaches only the node agent's own port of node ${JSON.stringify(id.name)}, not port ${id.port}`);
  }
  const headers: Record<string, string> = {};
  for (const h of FORWARDED) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  reply.hijack();
  await proxyPassThrough({ tls, addr, ...proxiedRequest(req.raw.url ?? '/'), resource: 'nodes/proxy', name: id.name }, req.raw.method ?? 'GET', headers, r.body, reply.raw);
}
