/**
 * The client's one error type: every failed call rejects with an ApiStatusError carrying the
 * server's metav1.Status (code, reason, message, details), or code 0 for a transport failure
 * that outlived the retries. Callers branch on the reason, as client-go's apierrors.IsNotFound etc.
 */

import type { StatusCause, StatusDetails } from '../../api/errors.ts';

export type { StatusCause, StatusDetails };

/** metav1.Status as it comes over the wire (failure case). */
export interface StatusBody {
  kind?: 'Status';
  apiVersion?: string;
  status?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: StatusDetails;
}

export class ApiStatusError extends Error {
  /** HTTP status code; 0 for a transport failure (no answer from the server). */
  readonly code: number;
  /** metav1.StatusReason ('NotFound', 'Conflict', ...); '' when the server gave none. */
  readonly reason: string;
  readonly details?: StatusDetails;
  constructor(code: number, reason: string, message: string, details?: StatusDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiStatusError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The error as a metav1.Status object (what a watch ERROR event carries). */
  toStatus(): StatusBody {
    return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: this.code, reason: this.reason, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** The reason client-go infers from a bare code when the body carries none (apierrors.reasonForCode). */
function reasonForCode(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 406: return 'NotAcceptable';
    case 409: return 'Conflict';
    case 410: return 'Gone';
    case 413: return 'RequestEntityTooLarge';
    case 415: return 'UnsupportedMediaType';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return '';
  }
}

/** An error from a Status body, or from the bare HTTP code and text when the body is no Status. */
export function statusError(httpCode: number, body: unknown, fallbackMessage: string): ApiStatusError {
  const s = body !== null && typeof body === 'object' && (body as StatusBody).kind === 'Status' ? (body as StatusBody) : undefined;
  const code = typeof s?.code === 'number' && s.code > 0 ? s.code : httpCode;
  const reason = typeof s?.reason === 'string' && s.reason !== '' ? s.reason : reasonForCode(code);
  const message = typeof s?.message === 'string' && s.message !== '' ? s.message : fallbackMessage;
  return new ApiStatusError(code, reason, message, s?.details);
}

/** Any error with a numeric code and a reason (the server's ApiError included) as an ApiStatusError. */
export function asApiStatusError(err: unknown): ApiStatusError {
  if (err instanceof ApiStatusError) return err;
  const e = err as { code?: unknown; reason?: unknown; message?: unknown; details?: StatusDetails };
  if (e && typeof e.code === 'number' && typeof e.reason === 'string') return new ApiStatusError(e.code, e.reason, String(e.message ?? ''), e.details, { cause: err });
  return new ApiStatusError(0, '', err instanceof Error ? err.message : String(err), undefined, { cause: err });
}

function hasReason(err: unknown, reason: string, code: number): boolean {
  return err instanceof ApiStatusError && (err.reason === reason || (err.reason === '' && err.code === code));
}

export const isNotFound = (err: unknown): boolean => hasReason(err, 'NotFound', 404);
export const isAlreadyExists = (err: unknown): boolean => hasReason(err, 'AlreadyExists', 409) && (err as ApiStatusError).reason === 'AlreadyExists';
export const isConflict = (err: unknown): boolean => hasReason(err, 'Conflict', 409);
export const isForbidden = (err: unknown): boolean => hasReason(err, 'Forbidden', 403);
export const isInvalid = (err: unknown): boolean => hasReason(err, 'Invalid', 422);
export const isTooManyRequests = (err: unknown): boolean => hasReason(err, 'TooManyRequests', 429);
/** 410: a resourceVersion or continue token older than the compacted history (Expired or Gone). */
export const isResourceExpired = (err: unknown): boolean => err instanceof ApiStatusError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
