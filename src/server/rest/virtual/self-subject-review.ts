import { groupVersion } from '../../../api/registry/resource-def.ts';
import type { RestContext, RestRequest, RestResponse } from '../context.ts';
import { decodeObject } from '../decode-object.ts';

/** SelfSubjectReview (`kubectl auth whoami`): who the server thinks you are, after authentication and impersonation. */
export async function selfSubjectReview(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  decodeObject(ctx, req);
  const u = req.user;
  const userInfo: Record<string, unknown> = { username: u.username };
  if (u.uid) userInfo.uid = u.uid;
  if (u.groups.length) userInfo.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) userInfo.extra = u.extra;
  return {
    code: 201,
    body: { kind: req.def.kind, apiVersion: groupVersion(req.def), metadata: { creationTimestamp: null }, status: { userInfo } },
  };
}
