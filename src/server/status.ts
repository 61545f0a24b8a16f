/**
 * The one place where errors become HTTP: every failure leaves the server as an upstream-shaped
 * metav1.Status with the right code and reason. Anything that is not an ApiError is an internal
 * error (500), never a success.
 */
import { ApiError, tooLargeResourceVersion, type StatusDetails, type StatusReason } from '../api/errors.ts';
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

/**
 * Keys in upstream's field order (metav1.Status: kind, apiVersion, metadata, status, message,
 * reason, details, code), with empty optional fields left out as its omitempty tags do: clients
 * and golden-file tests compare the text, not only the values.
 */
export function statusFromError(err: unknown): Status {
  const e = toApiError(err);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    ...(e.message ? { message: e.message } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.details ? { details: statusDetails(e.details) } : {}),
    code: e.code,
  };
}

export function successStatus(details?: ApiError['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details: statusDetails(details) } : {}), code: 200 };
}

/** metav1.StatusDetails in its field order (name, group, kind, uid, causes, retryAfterSeconds), empty fields omitted. */
function statusDetails(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes && d.causes.length > 0) out.causes = d.causes.map((c) => ({ ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}), ...(c.field ? { field: c.field } : {}) }));
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

/** A Status as upstream's JSON encoder writes it: json.Encoder ends every document with a newline. */
export function statusJson(s: Status): string {
  return `${JSON.stringify(s)}\n`;
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
        // Upstream's Status names both revisions (storage.NewTooLargeResourceVersionError); a
        // store that did not name both is a bug, and a 500 says so rather than a made-up number.
        if (err.requestedRevision !== undefined && err.revision !== undefined) return tooLargeResourceVersion(err.requestedRevision, err.revision);
        break;
    }
    return new ApiError(500, 'InternalError', `Internal error occurred: ${err.message}`);
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
