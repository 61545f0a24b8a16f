import { badRequest } from '../../api/errors.ts';
import { applyPatch, PatchBody } from '../../api/patch/index.ts';
import { serverSideApply, validateFieldManager } from '../../api/apply/index.ts';
import { mediaType, PATCH_MEDIA_TYPES, parseYamlBody, requireObject, unsupportedMediaType } from '../../api/codecs/decode-body.ts';
import { groupVersion } from '../../api/registry/resource-def.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { applyFieldValidation, dryRunFrom, header } from './decode-object.ts';
import type { K8sObject } from './objects.ts';
import { guaranteedUpdate } from './update.ts';
import { rfc3339 } from '../../api/time.ts';
import { resetFieldsFor } from './admit.ts';
import { includeFilterFor } from '../../api/apply/include-filter.ts';
import { queryFlag } from './query-bool.ts';
import { checkPatchedTypes, patchedPart } from './typed-decode.ts';

/** PATCH in its four media types; every attempt re-applies the patch to the latest object. */
export async function patchObject(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const mt = mediaType(header(req, 'content-type'));
  if (!PATCH_MEDIA_TYPES.includes(mt)) throw unsupportedMediaType(PATCH_MEDIA_TYPES);
  const body = req.body ?? Buffer.alloc(0);
  if (body.length === 0) throw badRequest('the body of the request is empty');
  const dryRun = dryRunFrom(req.query.getAll('dryRun'));
  const subresource = req.info.subresource;
  if (mt === 'application/apply-patch+yaml') return applyObject(ctx, req, body, dryRun);

  // Parsed once, when the first attempt applies it: the merge patch's part and any retry reuse it.
  const patch = new PatchBody(body);
  return guaranteedUpdate(ctx, req, {
    subresource,
    dryRun,
    tryUpdate: (current) => {
      const cur = current!;
      const patched = requireObject(
        applyPatch(mt, cur, patch, { schema: req.def.typeName ? ctx.schema : undefined, typeName: req.def.typeName }),
      ) as K8sObject;
      const part = patchedPart(patched, mt, patch);
      checkPatchedTypes(ctx, req, patched, mt, patch, part);
      if (!patched.metadata || typeof patched.metadata !== 'object') patched.metadata = {};
      // A patch pins the resourceVersion only if it sets one itself; otherwise conflicts are retried.
      if (patched.metadata.resourceVersion === cur.metadata.resourceVersion) delete patched.metadata.resourceVersion;
      checkTypeUnchanged(req, patched);
      applyFieldValidation(ctx, req, patched, req.def.typeName, part);
      return patched;
    },
  });
}

function checkTypeUnchanged(req: RestRequest, obj: K8sObject): void {
  const gv = groupVersion(req.def);
  if (obj.apiVersion !== gv || obj.kind !== req.def.kind) {
    throw badRequest(`the API version and kind in the patched object (${obj.apiVersion}, ${obj.kind}) do not match the expected (${gv}, ${req.def.kind})`);
  }
}

/** Server-side apply: merge the applied configuration, track ownership, 409 on conflicts unless forced. */
async function applyObject(ctx: RestContext, req: RestRequest, body: Buffer, dryRun: boolean): Promise<RestResponse> {
  const manager = req.query.get('fieldManager') ?? '';
  validateFieldManager(manager);
  const force = queryFlag(req.query, 'force');
  const applied = requireObject(parseYamlBody(body.toString('utf8'))) as K8sObject;
  const gv = groupVersion(req.def);
  if (applied.apiVersion !== gv || applied.kind !== req.def.kind) {
    throw badRequest(`the API version and kind in the applied configuration (${applied.apiVersion}, ${applied.kind}) do not match the expected (${gv}, ${req.def.kind})`);
  }
  applied.metadata ??= {};
  if (applied.metadata.name !== undefined && applied.metadata.name !== req.info.name) {
    throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${req.info.name})`);
  }
  applyFieldValidation(ctx, req, applied, req.def.typeName);
  const subresource = req.info.subresource;
  return guaranteedUpdate(ctx, req, {
    subresource,
    dryRun,
    allowCreate: subresource === '',
    managedFieldsDone: true,
    tryUpdate: (current) => {
      const { object } = serverSideApply(
        req.def.typeName ? ctx.schema : undefined,
        req.def.typeName ?? '',
        current,
        structuredClone(applied),
        manager,
        force,
        rfc3339(ctx.now()),
        { subresource: subresource === 'status' || subresource === 'ephemeralcontainers' || subresource === 'resize' ? subresource : '', apiVersion: gv, resetFields: resetFieldsFor(req.def, subresource), include: includeFilterFor(req.def.group, req.def.kind, subresource) },
      );
      const out = object as K8sObject;
      if (current && out.metadata?.resourceVersion === current.metadata.resourceVersion && applied.metadata.resourceVersion === undefined) {
        delete out.metadata.resourceVersion;
      }
      return out;
    },
  });
}
