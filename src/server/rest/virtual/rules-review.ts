import { badRequest } from '../../../api/errors.ts';
import { groupVersion } from '../../../api/registry/resource-def.ts';
import type { RestContext, RestRequest, RestResponse } from '../context.ts';
import type { UserInfo } from '../../../authn/types.ts';
import type { RulesReviewStatus } from '../../../authz/rbac/rules-review.ts';
import type { Authorizer } from '../../../authz/types.ts';
import { UnionAuthorizer } from '../../../authz/union.ts';

interface RuleLister {
  rulesReview(user: UserInfo, namespace: string): RulesReviewStatus | Promise<RulesReviewStatus>;
}
import { decodeObject } from '../decode-object.ts';
import { aggregateMessage } from '../../../util/aggregate-error.ts';

/**
 * SelfSubjectRulesReview (`kubectl auth can-i --list`): the caller's rules in a namespace from
 * every authorizer that can list them (RBAC, Casbin), in the chain's order, concatenated as
 * upstream's union rule resolver does; incomplete when any of them is.
 */
export async function selfSubjectRulesReview(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const obj = decodeObject(ctx, req);
  const namespace = obj.spec?.namespace;
  if (namespace !== undefined && typeof namespace !== 'string') throw badRequest('spec.namespace must be a string');
  const members = ctx.authorizer instanceof UnionAuthorizer ? ctx.authorizer.members : [ctx.authorizer];
  const listers: RuleLister[] = members.filter((m): m is Authorizer & RuleLister => typeof (m as Partial<RuleLister>).rulesReview === 'function');
  if (ctx.rbac && !listers.includes(ctx.rbac)) listers.unshift(ctx.rbac);
  const parts = await Promise.all(listers.map((l) => l.rulesReview(req.user, namespace ?? '')));
  const errors = parts.flatMap((p) => (p.evaluationError ? [p.evaluationError] : []));
  const status: RulesReviewStatus = listers.length
    ? { resourceRules: parts.flatMap((p) => p.resourceRules), nonResourceRules: parts.flatMap((p) => p.nonResourceRules), incomplete: parts.some((p) => p.incomplete) }
    : { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'no authorizer that can list rules is enabled' };
  // As upstream's union rule resolver: utilerrors.NewAggregate of the members' errors.
  if (errors.length) status.evaluationError = aggregateMessage(errors);
  return { code: 201, body: { kind: req.def.kind, apiVersion: groupVersion(req.def), metadata: { creationTimestamp: null }, spec: obj.spec ?? {}, status } };
}
