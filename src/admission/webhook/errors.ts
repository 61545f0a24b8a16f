/**
 * The errors webhook admission answers with, worded as upstream's webhook/errors and
 * util/webhook: a failed call is subject to failurePolicy; a rejection or an internal error never is.
 */
import { ApiError, type StatusDetails, type StatusReason } from '../../api/errors.ts';
import type { WebhookStatus } from './review.ts';

/** webhookutil.ErrCallingWebhook: the webhook could not be asked, or answered nonsense. */
export class CallingWebhookError extends Error {
  readonly webhookName: string;
  constructor(webhookName: string, reason: string) {
    super(`failed calling webhook "${webhookName}": ${reason}`);
    this.webhookName = webhookName;
  }
}

/** apierrors.NewInternalError. */
export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** webhookerrors.NewDryRunUnsupportedErr. */
export function dryRunUnsupported(webhookName: string): ApiError {
  return new ApiError(400, 'BadRequest', `admission webhook "${webhookName}" does not support dry run`);
}

/**
 * webhookerrors.ToStatusErr: the webhook said no. The webhook's own Status is what the client gets —
 * its code (raised to 400 when under 400), its reason (possibly none) and details — with only
 * "admission webhook NAME denied the request" put before the message; no "pods "x" is forbidden"
 * prefix (kubectl prints "Error from server: admission webhook ... denied the request: ...").
 */
export function webhookRejection(webhookName: string, result: WebhookStatus | undefined): ApiError {
  const r = result ?? {};
  // Under 400 is raised to 400 as upstream; over 599 (which Go would still write) is a 500 here, as
  // no such status can be written by this server's HTTP layer.
  const code = typeof r.code !== 'number' || !Number.isInteger(r.code) || r.code < 400 ? 400 : r.code > 599 ? 500 : r.code;
  const deniedBy = `admission webhook "${webhookName}" denied the request`;
  let message: string;
  if (r.message) message = `${deniedBy}: ${r.message}`;
  else if (r.reason) message = `${deniedBy}: ${r.reason}`;
  else message = `${deniedBy} without explanation`;
  return new ApiError(code, (r.reason ?? '') as StatusReason, message, r.details as StatusDetails | undefined);
}
