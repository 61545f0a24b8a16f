import { methodNotAllowed, resourceNotFound } from '../../api/errors.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { createObject } from './create.ts';
import { deleteCollection, deleteObject } from './delete.ts';
import { patchObject } from './patch.ts';
import { getObject, listObjects } from './read.ts';
import { getScale, writeScale } from './scale.ts';
import { updateObject } from './update.ts';
import { VIRTUAL_HANDLERS } from './virtual/index.ts';
import { decodeObject } from './decode-object.ts';
import { bindPod } from './binding.ts';

/** Routes a resource request (other than watch) to its handler by verb and subresource. */
export async function dispatch(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const { info, def } = req;
  const sub = info.subresource;
  if (def.virtual) {
    const handler = VIRTUAL_HANDLERS[def.virtual];
    if (!handler || !def.verbs.includes(info.verb) || sub !== '' || (info.verb === 'create' && info.name)) throw methodNotAllowed();
    return handler(ctx, req);
  }
  if (sub === '') {
    switch (info.verb) {
      case 'get':
        return getObject(ctx, req);
      case 'list':
        return listObjects(ctx, req);
      case 'create':
        if (info.name) throw methodNotAllowed();
        return createObject(ctx, req);
      case 'update':
        return updateObject(ctx, req);
      case 'patch':
        return patchObject(ctx, req);
      case 'delete':
        return deleteObject(ctx, req);
      case 'deletecollection':
        return deleteCollection(ctx, req);
      default:
        throw methodNotAllowed();
    }
  }
  if (sub === 'status' && def.status) {
    if (info.verb === 'get') return getObject(ctx, req);
    if (info.verb === 'update') return updateObject(ctx, req);
    if (info.verb === 'patch') return patchObject(ctx, req);
    throw methodNotAllowed();
  }
  if (sub === 'scale' && def.scale) {
    if (info.verb === 'get') return getScale(ctx, req);
    if (info.verb === 'update' || info.verb === 'patch') return writeScale(ctx, req, info.verb);
    throw methodNotAllowed();
  }
  if (sub === 'binding' && def.kind === 'Pod' && def.group === '' && info.verb === 'create') return bindPod(ctx, req);
  if (sub === 'finalize' && def.kind === 'Namespace' && def.group === '' && info.verb === 'update') {
    // Only spec.finalizers may change through /finalize; updateObject keeps status as is.
    return updateObject(ctx, req);
  }
  if (sub === 'approval' && def.kind === 'CertificateSigningRequest' && (info.verb === 'update' || info.verb === 'get')) {
    return info.verb === 'get' ? getObject(ctx, req) : updateObject(ctx, req);
  }
  if (sub === 'token' && def.kind === 'ServiceAccount' && def.group === '' && info.verb === 'create' && ctx.tokenRequest) {
    const body = decodeObject(ctx, req, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' });
    return { code: 201, body: await ctx.tokenRequest(info.namespace, info.name, body, { warnings: req.warnings }) };
  }
  throw resourceNotFound();
}
