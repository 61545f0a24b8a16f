/**
 * The handler behind each subresource of the resource definitions' tables (SubresourceDef.changes):
 * which verbs a subresource serves is data on the definition; what it does lives here.
 */
import { methodNotAllowed, resourceNotFound } from '../../../api/errors.ts';
import type { SubresourceDef } from '../../../api/registry/resource-def.ts';
import { bindPod } from '../binding.ts';
import type { RestContext, RestRequest, RestResponse } from '../context.ts';
import { decodeObject } from '../decode-object.ts';
import { patchObject } from '../patch.ts';
import { getObject } from '../read.ts';
import { getScale, writeScale } from '../scale.ts';
import { updateObject } from '../update.ts';
import { evictPod } from './eviction.ts';

type Handler = (ctx: RestContext, req: RestRequest) => Promise<RestResponse>;

/** get, update and patch of the parent object, with the write narrowed by prepareForUpdate's subresource rule. */
const parentObject: Handler = (ctx, req) => {
  if (req.info.verb === 'get') return getObject(ctx, req);
  if (req.info.verb === 'update') return updateObject(ctx, req);
  return patchObject(ctx, req);
};

const HANDLERS: Record<SubresourceDef['changes'], Handler> = {
  status: parentObject,
  // Only spec.finalizers may change through /finalize; updateObject keeps status as is.
  'spec.finalizers': parentObject,
  approval: parentObject,
  // pods/ephemeralcontainers: prepareForUpdate keeps only spec.ephemeralContainers of the write.
  'spec.ephemeralContainers': parentObject,
  // pods/resize: prepareForUpdate keeps only the containers' resources and resizePolicy.
  'container-resources': parentObject,
  replicas: (ctx, req) => (req.info.verb === 'get' ? getScale(ctx, req) : writeScale(ctx, req, req.info.verb as 'update' | 'patch')),
  'spec.nodeName': bindPod,
  // The server's handler streams these to the node agent (src/server/node-proxy) before dispatch.
  'node-stream': () => {
    throw methodNotAllowed();
  },
  deletion: evictPod,
  token: async (ctx, req) => {
    // Without service-account tokens configured the subresource does not exist.
    if (!ctx.tokenRequest) throw resourceNotFound();
    const body = decodeObject(ctx, req, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' });
    return { code: 201, body: await ctx.tokenRequest(req.info.namespace, req.info.name, body, { warnings: req.warnings, auditAnnotations: req.admission.auditAnnotations }) };
  },
};

/** Serves a subresource request; the verb must be one the table lists for it (else 405). */
export function serveSubresource(ctx: RestContext, req: RestRequest, sub: SubresourceDef): Promise<RestResponse> {
  if (!sub.verbs.includes(req.info.verb)) throw methodNotAllowed();
  return HANDLERS[sub.changes](ctx, req);
}
