import { invalid as invalid422 } from '../../../api/errors.ts';
import { groupVersion } from '../../../api/registry/resource-def.ts';
import type { UserInfo } from '../../../authn/types.ts';
import { reviewSelectorAttributes, validateReviewSelectors } from '../../../authz/review-selectors.ts';
import type { AuthzAttributes } from '../../../authz/types.ts';
import { GoValue, goQuote, invalid, path, toStatusCauses, type FieldError } from '../../../api/validation/field-errors.ts';
import { goObjectMeta, isEmptyObjectMeta } from '../../../api/validation/go-object-meta.ts';
import { checkNamespaceMatch } from '../namespace.ts';
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
  // As upstream's create handler: a cluster-scoped review's namespace is cleared, a local one's set
  // from the URL (a body naming another namespace is a 400).
  obj.metadata ??= {};
  checkNamespaceMatch(req, obj);
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const ra = spec.resourceAttributes as Record<string, string> | undefined;
  const nra = spec.nonResourceAttributes as Record<string, string> | undefined;
  // Upstream's ValidateSubjectAccessReview (and the Self and Local forms): the spec's errors (its
  // selectors' included), then the metadata's, then the local form's; all together.
  const errs: FieldError[] = [];
  if (ra && nra) errs.push(invalid(path('spec', 'nonResourceAttributes'), goNonResource(nra), 'cannot be specified in combination with resourceAttributes'));
  if (!ra && !nra) errs.push(invalid(path('spec', 'resourceAttributes'), null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  const noSubject = !spec.user && !(Array.isArray(spec.groups) && spec.groups.length > 0);
  if (kind !== 'SelfSubjectAccessReview' && noSubject) errs.push(invalid(path('spec', 'user'), String(spec.user ?? ''), 'at least one of user or group must be specified'));
  if (ra) errs.push(...validateReviewSelectors(ra));
  const local = kind === 'LocalSubjectAccessReview';
  if (!isEmptyObjectMeta(obj.metadata, local ? ['namespace', 'managedFields'] : ['managedFields'])) {
    errs.push(invalid(path('metadata'), goObjectMeta(obj.metadata), local ? 'must be empty except for namespace' : 'must be empty'));
  }
  if (local) {
    // The review's namespace must equal the object's (the request's), an empty one included; a
    // non-resource review is no local question.
    if (ra && (ra.namespace ?? '') !== req.info.namespace) errs.push(invalid(path('spec', 'resourceAttributes', 'namespace'), String(ra.namespace ?? ''), 'must match metadata.namespace'));
    if (nra) errs.push(invalid(path('spec', 'nonResourceAttributes'), goNonResource(nra), 'disallowed on this kind of request'));
  }
  if (errs.length > 0) throw invalid422(kind, req.def.group, '', toStatusCauses(errs));
  const subject: UserInfo =
    kind === 'SelfSubjectAccessReview' ? req.user : { username: String(spec.user ?? ''), uid: spec.uid, groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [], extra: spec.extra };
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
function goNonResource(nra: Record<string, string>): GoValue {
  return new GoValue(`authorization.NonResourceAttributes{Path:${goQuote(String(nra.path ?? ''))}, Verb:${goQuote(String(nra.verb ?? ''))}}`);
}
