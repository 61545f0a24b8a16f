import { methodNotAllowed, resourceNotFound } from '../../api/errors.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { createObject } from './create.ts';
import { deleteCollection, deleteObject } from './delete.ts';
import { patchObject } from './patch.ts';
import { getObject, listObjects } from './read.ts';
import { updateObject } from './update.ts';
import { VIRTUAL_HANDLERS } from './virtual/index.ts';
import { findSubresource } from '../../api/registry/resource-def.ts';
import { serveSubresource } from './subresources/index.ts';

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
  // Every other subresource is data on the resource definition (ResourceDef.subresources).
  const entry = findSubresource(def, sub);
  if (entry) return serveSubresource(ctx, req, entry);
  throw resourceNotFound();
}
