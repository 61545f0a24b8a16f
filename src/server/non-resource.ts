import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, methodNotAllowed, resourceNotFound } from '../api/errors.ts';
import { aggregatedDiscovery, aggregatedDiscoveryContentType, apiGroup, apiGroupList, apiResourceList, apiVersions, negotiateDiscovery } from '../api/discovery.ts';
import { runHealth, storeHealthCheck, type HealthCheck } from './health.ts';
import { serveOpenApi } from '../api/openapi/serve.ts';
import { serveOidcDiscovery } from '../authn/service-account/discovery.ts';
import type { PipelineState } from './pipeline.ts';
import type { RestContext } from './rest/context.ts';
import { versionInfo } from './version.ts';
import { renderTrace } from './trace.ts';
import { builtinKey } from '../api/registry/resource-def.ts';

const HEALTH_ENDPOINTS = new Set(['healthz', 'livez', 'readyz']);

function healthChecks(ctx: RestContext, endpoint: string): HealthCheck[] {
  const checks: HealthCheck[] = [
    { name: 'ping', check: () => {} },
    { name: 'log', check: () => {} },
    storeHealthCheck(ctx.store, builtinKey('', 'namespaces', 'default')),
  ];
  // Upstream lists the KMS check after etcd's, before readyz's shutdown.
  checks.push(...(ctx.healthChecks ?? []));
  if (endpoint === 'readyz') checks.push({ name: 'shutdown', check: () => {} });
  return checks;
}


/** Health, version and discovery: the paths that are not resources. */
export async function serveNonResource(ctx: RestContext, st: PipelineState, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const parts = st.info.path.split('/').filter(Boolean);
  const json = (body: unknown, contentType = 'application/json') => reply.code(200).header('content-type', contentType).send(JSON.stringify(body));
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();

  if (parts[0] === 'openapi') {
    const ans = serveOpenApi(st.info.path, st.query, ctx.registry, ctx.schema, { accept: req.headers.accept, ifNoneMatch: req.headers['if-none-match'] as string | undefined });
    if (ans) {
      return reply
        .code(ans.code)
        .headers({ 'content-type': ans.contentType, ...ans.headers })
        .send(typeof ans.body === 'string' ? ans.body : Buffer.from(ans.body));
    }
  }

  if (parts.length >= 1 && HEALTH_ENDPOINTS.has(parts[0]!) && parts.length <= 2) {
    const verbose = st.query.has('verbose');
    const ans = await runHealth(parts[0]!, healthChecks(ctx, parts[0]!), verbose, parts[1]);
    if (!ans) throw resourceNotFound();
    return reply.code(ans.code).header('content-type', 'text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(ans.text);
  }
  if (parts.length === 1 && parts[0] === 'version') return json(versionInfo());
  if (parts.length === 1 && parts[0] === 'metrics' && ctx.metrics) {
    return reply.code(200).header('content-type', ctx.metrics.contentType).send(await ctx.metrics.text());
  }
  // portcullis explain: one request's decision trace, by its Audit-Id.
  if (parts.length === 4 && parts[0] === 'debug' && parts[1] === 'portcullis' && parts[2] === 'explain' && ctx.traces) {
    const t = ctx.traces.get(parts[3]!);
    if (!t) throw new ApiError(404, 'NotFound', `no decision trace for audit ID "${parts[3]}": this server keeps the last ${ctx.traces.capacity} requests`);
    return json(renderTrace(t));
  }
  const oidc = ctx.oidcDiscovery && serveOidcDiscovery(ctx.oidcDiscovery, `/${parts.join('/')}`);
  if (oidc) return reply.code(oidc.code).headers({ 'content-type': oidc.contentType, ...oidc.headers }).send(oidc.body);
  if (parts[0] === 'api') {
    if (parts.length === 1) {
      const v = negotiateDiscovery(req.headers.accept);
      if (v) return json(aggregatedDiscovery(ctx.registry, true, v), aggregatedDiscoveryContentType(v));
      return json(apiVersions());
    }
    if (parts.length === 2) {
      const doc = apiResourceList(ctx.registry, '', parts[1]!);
      if (doc) return json(doc);
    }
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) {
      const v = negotiateDiscovery(req.headers.accept);
      // Aggregated APIs (APIServices backed by a Service) are listed beside this server's own groups.
      const agg = ctx.aggregator?.discovery;
      if (v) return json(agg ? agg.aggregated(aggregatedDiscovery(ctx.registry, false, v) as object) : aggregatedDiscovery(ctx.registry, false, v), aggregatedDiscoveryContentType(v));
      return json(agg ? agg.groupList(apiGroupList(ctx.registry) as object) : apiGroupList(ctx.registry));
    }
    if (parts.length === 2) {
      const doc = apiGroup(ctx.registry, parts[1]!) ?? ctx.aggregator?.discovery.group(parts[1]!);
      if (doc) return json(doc);
    }
    if (parts.length === 3) {
      const doc = apiResourceList(ctx.registry, parts[1]!, parts[2]!);
      if (doc) return json(doc);
    }
  }
  throw resourceNotFound();
}
