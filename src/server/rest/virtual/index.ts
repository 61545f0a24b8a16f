import type { RestContext, RestRequest, RestResponse } from '../context.ts';
import { selfSubjectReview } from './self-subject-review.ts';
import { accessReview } from './access-review.ts';
import { selfSubjectRulesReview } from './rules-review.ts';
import { componentStatuses } from './component-status.ts';
import { bindPod } from '../binding.ts';
import { reviewToken } from '../../../authn/token-review.ts';
import { decodeObject } from '../decode-object.ts';

export type VirtualHandler = (ctx: RestContext, req: RestRequest) => Promise<RestResponse>;

/** Handlers of the virtual (never stored) resources, by the name in their ResourceDef; each serves the verbs its def lists. */
export const VIRTUAL_HANDLERS: Record<string, VirtualHandler> = {
  'self-subject-review': selfSubjectReview,
  'access-review': accessReview,
  'rules-review': selfSubjectRulesReview,
  'component-status': componentStatuses,
  'pod-binding': bindPod,
  'token-review': async (ctx, req) => {
    if (!ctx.reviewToken) throw new Error('TokenReview is not configured');
    return reviewToken(decodeObject(ctx, req), { authenticateToken: ctx.reviewToken, apiAudiences: ctx.apiAudiences }, req.info.namespace);
  },
};
