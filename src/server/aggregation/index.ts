/**
 * API aggregation: requests under /apis/<group>/<version> for a group/version this server does
 * not serve itself, and that an APIService backs with a Service, go to that Service's endpoint
 * (see proxy.ts), after this server's own authentication and authorization, with the user passed
 * on in X-Remote-* headers. An APIService that is not Available answers 503, as upstream.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserInfo } from '../../authn/types.ts';
import type { RestContext } from '../rest/context.ts';
import { ApiServiceIndex } from './api-services.ts';
import { followBackends } from './backend-changes.ts';
import { isAvailable, startAvailabilityController, type Availability } from './availability.ts';
import { aggregatedGroup, mergeAggregatedDiscovery, mergeGroupList, type DiscoveredVersion } from './discovery.ts';
import { EndpointError, resolveEndpoint } from './endpoint.ts';
import { proxyTo, serviceUnavailable } from './proxy.ts';
import type { ProxyClientCert } from './transport.ts';
import { registerLocalApiServices } from './local-apiservices.ts';

export interface AggregatorOptions {
  /** --proxy-client-cert-file / --proxy-client-key-file: the certificate shown to backends. */
  proxyClientCert?: ProxyClientCert;
  /** How often every APIService is checked again (upstream resyncs every 30 s). */
  resyncMs?: number;
}

export interface Aggregator {
  /** Proxies the request when it belongs to an aggregated API; false when it is this server's own. */
  serve(user: UserInfo, req: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** This server's discovery documents with the aggregated group/versions added. */
  discovery: {
    groupList(doc: Record<string, any>): Record<string, any>;
    aggregated(doc: Record<string, any>): Record<string, any>;
    group(name: string): Record<string, any> | undefined;
  };
  stop(): void;
}

const AGGREGATED_PATH = /^\/apis\/([^/?]+)\/([^/?]+)(?:[/?]|$)/;

export function startAggregator(ctx: RestContext, opts: AggregatorOptions = {}): Aggregator {
  const servedLocally = (group: string, version: string) => ctx.registry.servesGroupVersion(`${group}/${version}`);
  let controller: ReturnType<typeof startAvailabilityController> | undefined;
  // One entry per APIService whose last check passed with a discovery document.
  const found = new Map<string, DiscoveredVersion>();
  const checked = (name: string, av: Availability) => {
    const a = index.byName(name);
    if (!a?.spec?.service || av.status !== 'True' || !av.discovery) {
      found.delete(name);
      return;
    }
    found.set(name, {
      group: String(a.spec.group ?? ''),
      version: String(a.spec.version ?? ''),
      groupPriorityMinimum: Number(a.spec.groupPriorityMinimum ?? 0),
      versionPriority: Number(a.spec.versionPriority ?? 0),
      resources: av.discovery.resources,
    });
  };
  const discovered = () => [...found.values()].filter((d) => !servedLocally(d.group, d.version) && isAvailable(index.byGroupVersion(d.group, d.version) ?? {}));
  const index = new ApiServiceIndex(
    ctx.store,
    (name) => controller?.enqueue(name),
    (err) => ctx.log.error({ err }, 'apiservice watch failed'),
  );
  controller = startAvailabilityController({
    store: ctx.store,
    random: ctx.random,
    proxyClientCert: opts.proxyClientCert,
    servedLocally,
    now: ctx.now,
    log: ctx.log,
    resyncMs: opts.resyncMs ?? 30_000,
    names: () => index.names(),
    get: (name) => index.byName(name),
    checked,
  });
  // A change to a backing Service or its endpoints checks the APIServices naming it again.
  const backends = followBackends({
    store: ctx.store,
    apiServices: () => index.names().flatMap((n) => index.byName(n) ?? []),
    enqueue: (name) => controller?.enqueue(name),
    onError: (err) => ctx.log.error({ err }, 'apiservice backend watch failed'),
  });
  // The Local APIServices of this server's own group/versions exist before the index lists them.
  registerLocalApiServices(ctx)
    .catch((err) => ctx.log.error({ err }, 'local apiservice registration failed'))
    .then(() => index.start())
    .catch((err) => ctx.log.error({ err }, 'apiservice index failed to start'));

  return {
    async serve(user, req, reply) {
      const m = AGGREGATED_PATH.exec(req.url);
      if (!m) return false;
      const [group, version] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
      if (servedLocally(group, version)) return false;
      const a = index.byGroupVersion(group, version);
      if (!a?.spec?.service) return false;
      if (!isAvailable(a)) throw serviceUnavailable();
      const svc = a.spec.service;
      let endpoint;
      try {
        endpoint = await resolveEndpoint(ctx.store, { namespace: String(svc.namespace), name: String(svc.name), port: typeof svc.port === 'number' ? svc.port : 443 }, ctx.random);
      } catch (err) {
        if (err instanceof EndpointError) {
          ctx.log.warn({ apiService: a.metadata?.name, reason: err.reason }, err.message);
          throw serviceUnavailable();
        }
        throw err;
      }
      reply.hijack();
      await proxyTo(
        { apiService: a, endpoint, method: req.method, path: req.url, headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body : undefined, user, proxyClientCert: opts.proxyClientCert },
        reply.raw,
      );
      return true;
    },
    discovery: {
      groupList: (doc) => mergeGroupList(doc, discovered()),
      aggregated: (doc) => mergeAggregatedDiscovery(doc, discovered()),
      group: (name) => aggregatedGroup(name, discovered()),
    },
    stop() {
      controller?.stop();
      backends.stop();
      index.stop();
    },
  };
}

/** Starts aggregation for a server: its requests consult it from now on; the returned function stops it. */
export function startAggregation(ctx: RestContext, opts: AggregatorOptions = {}): () => void {
  const aggregator = startAggregator(ctx, opts);
  ctx.aggregator = aggregator;
  return () => {
    if (ctx.aggregator === aggregator) ctx.aggregator = undefined;
    aggregator.stop();
  };
}
