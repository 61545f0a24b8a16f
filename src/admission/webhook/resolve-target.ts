/**
 * Where a webhook's clientConfig points. `url` is used as written. `service` names a Service; the
 * API server has no cluster DNS and the Service's clusterIP is not routable from here, so the
 * request goes to the first ready address of the Service's Endpoints object (upstream's
 * --enable-aggregator-routing behaviour), while the TLS server name stays
 * `<service>.<namespace>.svc` as upstream's, so the serving certificate is checked the same way.
 */
import type { Store } from '../../storage/types.ts';
import type { WebhookClientConfig } from './types.ts';
import { canonicalIP } from '../../util/ip-sloppy.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

export interface CallTarget {
  /** The URL as upstream would name it in errors (the logical service URL for `service`). */
  url: URL;
  /** `url` as Go prints it: an explicit port stays, even 443. */
  display: string;
  connectHost: string;
  connectPort: number;
  /** TLS server name to verify; undefined for IP literals (checked against IP SANs). */
  servername: string | undefined;
  /** PEM from caBundle; undefined means the system roots. */
  ca: string | undefined;
}

/** A failure to resolve: reported as upstream reports dial errors, after `Post "<url>": `. */
export class ResolveError extends Error {
  readonly display: string;
  constructor(display: string, message: string) {
    super(message);
    this.display = display;
  }
}

interface ServicePort {
  name?: string;
  port?: number;
  targetPort?: number | string;
}
interface EndpointSubset {
  addresses?: { ip?: string }[];
  ports?: { name?: string; port?: number }[];
}

const isIp = (h: string): boolean => /^[0-9.]+$/.test(h) || h.includes(':');

function caOf(cfg: WebhookClientConfig): string | undefined {
  return cfg.caBundle ? Buffer.from(cfg.caBundle, 'base64').toString('utf8') : undefined;
}

export async function resolveTarget(store: Store, cfg: WebhookClientConfig): Promise<CallTarget> {
  if (cfg.url) {
    const url = new URL(cfg.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (url.protocol !== 'https:') throw new ResolveError(cfg.url, `unsupported protocol scheme "${url.protocol.replace(/:$/, '')}"`);
    return { url, display: cfg.url, connectHost: host, connectPort: Number(url.port || 443), servername: isIp(host) ? undefined : host, ca: caOf(cfg) };
  }
  const svc = cfg.service;
  if (!svc) throw new Error('webhook clientConfig has neither url nor service');
  const port = svc.port ?? 443;
  const servername = `${svc.name}.${svc.namespace}.svc`;
  let path = svc.path ?? '';
  if (path && !path.startsWith('/')) path = `/${path}`;
  const display = `https://${servername}:${port}${path}`;
  const url = new URL(display);
  const service = await store.get<{ spec?: { ports?: ServicePort[] } }>(builtinKey('', 'services', svc.namespace, svc.name));
  if (!service) throw new ResolveError(display, `service "${svc.namespace}/${svc.name}" not found`);
  const sp = (service.value.spec?.ports ?? []).find((p) => p.port === port);
  if (!sp) throw new ResolveError(display, `no service port ${port} found for service "${svc.name}"`);
  const eps = await store.get<{ subsets?: EndpointSubset[] }>(builtinKey('', 'endpoints', svc.namespace, svc.name));
  for (const subset of eps?.value.subsets ?? []) {
    // Dialled in its canonical form: validation reads "0177.0.0.1" as ParseIPSloppy does (decimal,
    // 177.0.0.1), node's resolver would read it as octal 127.0.0.1. One that does not parse is skipped.
    const ip = (subset.addresses ?? []).map((x) => (x.ip ? canonicalIP(x.ip) : undefined)).find((x) => x !== undefined);
    const ep = (subset.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? ''));
    if (ip && ep?.port) return { url, display, connectHost: ip, connectPort: ep.port, servername, ca: caOf(cfg) };
  }
  throw new ResolveError(display, `no endpoints available for service "${svc.name}"`);
}
