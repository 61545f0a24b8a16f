import { invalid } from '../../../api/errors.ts';
import { groupVersion } from '../../../api/registry/resource-def.ts';
import type { UserInfo } from '../../../authn/types.ts';
import { reviewSelectorAttributes, validateReviewSelectors } from '../../../authz/review-selectors.ts';
import type { AuthzAttributes } from '../../../authz/types.ts';
import { toStatusCauses } from '../../../api/validation/field-errors.ts';
import type { RestContext, RestRequest, RestResponse } from '../context.ts';
import { decodeObject } from '../decode-object.ts';
import type { K8sObject } from '../objects.ts';

type Kind = 'SubjectAccessReview' | 'SelfSubjectAccessReview' | 'LocalSubjectAccessReview';

/**
 * The access review APIs (authorization.k8s.io/v1): ask the authorizer chain the same question
 * a request would ask it, without making the request. `kubectl auth can-i` uses the self form.
 */
export async function accessReview(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const kind = req.def.kind as Kind;
  const obj = decodeObject(ctx, req);
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const ra = spec.resourceAttributes as Record<string, string> | undefined;
  const nra = spec.nonResourceAttributes as Record<string, string> | undefined;
  // Upstream's ValidateSubjectAccessReviewSpec (and the Self and Local forms), its errors together.
  const errs: { reason: string; field: string; message: string }[] = [];
  const invalidAt = (field: string, value: string, detail: string) => errs.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${value}: ${detail}` });
  if (ra && nra) invalidAt('spec.nonResourceAttributes', goNonResource(nra), 'cannot be specified in combination with resourceAttributes');
  if (!ra && !nra) invalidAt('spec.resourceAttributes', '"null"', 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
  const noSubject = !spec.user && !(Array.isArray(spec.groups) && spec.groups.length > 0);
  if (kind !== 'SelfSubjectAccessReview' && noSubject) invalidAt('spec.user', JSON.stringify(String(spec.user ?? '')), 'at least one of user or group must be specified');
  if (kind === 'LocalSubjectAccessReview') {
    // ValidateLocalSubjectAccessReview: the object's namespace is the request's (namespace.ts
    // refuses a body naming another), and the review's namespace must equal it, an empty one
    // included; a non-resource review is no local question.
    if (ra && (ra.namespace ?? '') !== req.info.namespace) invalidAt('spec.resourceAttributes.namespace', JSON.stringify(ra.namespace ?? ''), 'must match metadata.namespace');
    if (nra) invalidAt('spec.nonResourceAttributes', goNonResource(nra), 'disallowed on this kind of request');
  }
  if (errs.length > 0) throw invalid(kind, req.def.group, '', errs);
  const subject: UserInfo =
    kind === 'SelfSubjectAccessReview' ? req.user : { username: String(spec.user ?? ''), uid: spec.uid, groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [], extra: spec.extra };
  const selectorErrors = ra ? validateReviewSelectors(ra) : [];
  if (selectorErrors.length > 0) throw invalid(kind, req.def.group, '', toStatusCauses(selectorErrors));
  const attrs: AuthzAttributes = ra
    ? {
        user: subject,
        verb: ra.verb ?? '',
        isResourceRequest: true,
        path: '',
        apiGroup: ra.group ?? '',
        apiVersion: ra.version ?? '',
        namespace: kind === 'LocalSubjectAccessReview' ? req.info.namespace : (ra.namespace ?? ''),
        resource: ra.resource ?? '',
        subresource: ra.subresource ?? '',
        name: ra.name ?? '',
        ...reviewSelectorAttributes(ra),
      }
    : { user: subject, verb: nra!.verb ?? '', isResourceRequest: false, path: nra!.path ?? '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
  const r = await ctx.authorizer.authorize(attrs);
  const status: Record<string, unknown> = { allowed: r.decision === 'allow' };
  // A deny that stands for an authorizer's failure is no explicit deny: upstream's authorizers
  // answer NoOpinion with the error, so the review says allowed false, denied unset, and the error.
  if (r.decision === 'deny' && r.authorizer && r.authorizer !== 'none' && !r.evaluationError) status.denied = true;
  if (r.reason) status.reason = r.reason;
  // As upstream's SubjectAccessReview REST: the error is the review's answer, not a failed request.
  // A SelfSubjectAccessReview is open to every authenticated user, and the error can name backends
  // and addresses (a webhook's URL, a connection refused), which the API server's own 500 never
  // shows a client (pipeline.ts): there it names the failing authorizer and the log has the rest.
  // SubjectAccessReview and LocalSubjectAccessReview, granted to reviewers, carry it as upstream.
  if (r.evaluationError && kind === 'SelfSubjectAccessReview') {
    ctx.log.error({ authorizer: r.authorizer, err: r.evaluationError, user: subject.username }, 'authorization failed in a SelfSubjectAccessReview');
    status.evaluationError = `authorizer ${JSON.stringify(r.authorizer ?? '')} failed; the API server log has the error`;
  } else if (r.evaluationError) status.evaluationError = r.evaluationError;
  const out: K8sObject = { kind, apiVersion: groupVersion(req.def), metadata: { ...obj.metadata, creationTimestamp: null }, spec, status };
  if (kind === 'LocalSubjectAccessReview') out.metadata.namespace = req.info.namespace;
  return { code: 201, body: out };
}

/** The internal NonResourceAttributes as Go's %#v prints it in a field error. */
function goNonResource(nra: Record<string, string>): string {
  return `authorization.NonResourceAttributes{Path:${JSON.stringify(String(nra.path ?? ''))}, Verb:${JSON.stringify(String(nra.verb ?? ''))}}`;
}
