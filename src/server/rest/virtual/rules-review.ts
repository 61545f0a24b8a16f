import { badRequest } from '../../../api/errors.ts';
import { groupVersion } from '../../../api/registry/resource-def.ts';
import type { RestContext, RestRequest, RestResponse } from '../context.ts';
import { decodeObject } from '../decode-object.ts';

/** SelfSubjectRulesReview (`kubectl auth can-i --list`): the caller's rules in a namespace, from RBAC. */
export async function selfSubjectRulesReview(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const obj = decodeObject(ctx, req);
  const namespace = obj.spec?.namespace;
  if (namespace !== undefined && typeof namespace !== 'string') throw badRequest('spec.namespace must be a string');
  const status = ctx.rbac
    ? ctx.rbac.rulesReview(req.user, namespace ?? '')
    : { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'no authorizer that can list rules is enabled' };
  return { code: 201, body: { kind: req.def.kind, apiVersion: groupVersion(req.def), metadata: { creationTimestamp: null }, spec: obj.spec ?? {}, status } };
}
