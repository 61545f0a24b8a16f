/**
 * The errors kube-apiserver's PATCH handler answers with (apiserver endpoints/handlers/patch.go),
 * as ApiErrors. Where upstream hides the underlying reason behind a generic message, the reason
 * is kept on `cause` for logs and tests; it never reaches the client.
 */
import { ApiError } from '../errors.ts';

/**
 * errors.NewGenericServerResponse(422, ...): what upstream returns when a JSON patch cannot be
 * applied (failed test, missing path, bad op) and for lists of lists in a strategic merge patch.
 * The server message is dropped by upstream; so is it here.
 */
export function unprocessable(reason: string): ApiError {
  const err = new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  err.cause = reason;
  return err;
}

/** errors.NewRequestEntityTooLargeError. */
export function entityTooLarge(message: string): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

/**
 * An error that upstream's patch code returns as a plain Go error: kube-apiserver answers it with
 * code 500 and the error text as the message (no "Internal error occurred" prefix). The Status
 * reason upstream is empty (Unknown); InternalError is the nearest reason this server has.
 */
export function patchServerError(message: string): ApiError {
  return new ApiError(500, 'InternalError', message);
}

/** errors.NewUnsupportedMediaTypeError. */
export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}
