/**
 * The one place where errors become HTTP: every failure leaves the server as an upstream-shaped
 * metav1.Status with the right code and reason. Anything that is not an ApiError is an internal
 * error (500), never a success.
 */
import { ApiError, type StatusReason } from '../api/errors.ts';
import { StorageError } from '../storage/types.ts';
import { RequestTooLargeError } from '../storage/write-check.ts';

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: ApiError['details'];
  code: number;
}

export function statusFromError(err: unknown): Status {
  const e = toApiError(err);
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code };
  if (e.details) s.details = e.details;
  return s;
}

export function successStatus(details?: ApiError['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = details;
  return s;
}

/** Map anything thrown to an ApiError; unknown errors are 500 InternalError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // Upstream passes etcd's refusal on as a 500 carrying etcd's words (responsewriters.ErrorToAPIStatus).
  if (err instanceof RequestTooLargeError) return new ApiError(500, 'InternalError', err.message);
  if (err instanceof StorageError) {
    switch (err.code) {
      case 'Compacted':
        return new ApiError(410, 'Expired', `too old resource version: ${err.message}`);
      case 'InvalidContinue':
        return new ApiError(400, 'BadRequest', `invalid continue token: ${err.message}`);
      case 'FutureRevision':
        return new ApiError(504, 'Timeout', `Too large resource version: ${err.message}`, { retryAfterSeconds: 1 });
      default:
        return new ApiError(500, 'InternalError', `Internal error occurred: ${err.message}`);
    }
  }
  // Fastify's own errors (body too large, bad content length ...) carry statusCode.
  const fe = err as { statusCode?: number; code?: string; message?: string };
  if (fe && typeof fe.statusCode === 'number') {
    if (fe.statusCode === 413) return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: ${fe.message ?? ''}`.trim());
    if (fe.statusCode === 415) return new ApiError(415, 'UnsupportedMediaType', fe.message ?? 'unsupported media type');
    if (fe.statusCode >= 400 && fe.statusCode < 500) return new ApiError(fe.statusCode, 'BadRequest', fe.message ?? 'bad request');
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}
