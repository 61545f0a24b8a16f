/**
 * The errors webhook admission answers with, worded as upstream's webhook/errors and
 * util/webhook: a failed call is subject to failurePolicy; a rejection or an internal error never is.
 */
import { ApiError, type StatusDetails, type StatusReason } from '../../api/errors.ts';
import type { AdmissionAttributes } from '../types.ts';
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

/** webhookerrors.ToStatusErr: the webhook said no. */
export function webhookRejection(a: AdmissionAttributes, webhookName: string, result: WebhookStatus | undefined): ApiError {
  const r = result ?? {};
  const code = typeof r.code === 'number' && r.code !== 0 ? r.code : 403;
  const deniedBy = `admission webhook "${webhookName}" denied the request`;
  let message: string;
  if (r.message) message = `${deniedBy}: ${r.message}`;
  else if (r.reason) message = `${deniedBy}: ${r.reason}`;
  else message = `${deniedBy} without explanation`;
  const name = a.name || 'Unknown';
  let details = r.details as StatusDetails | undefined;
  if (!details) {
    details = code === 500 ? { causes: [{ message }] } : { name, group: a.resource.group || undefined, kind: a.resource.resource };
  }
  const gr = a.resource.group ? `${a.resource.resource}.${a.resource.group}` : a.resource.resource;
  const prefix = code === 500 ? 'Internal error occurred' : `${gr} "${name}" is forbidden`;
  const reason = (r.reason || (code === 500 ? 'InternalError' : 'Forbidden')) as StatusReason;
  return new ApiError(code, reason, `${prefix}: ${message}`, details);
}
