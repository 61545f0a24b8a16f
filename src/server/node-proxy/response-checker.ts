/**
 * A node agent's non-2xx answer turned into a Status as upstream's GenericHttpResponseChecker:
 * 500 an InternalError and 400 a BadRequest carrying the agent's text (what kubectl shows, e.g.
 * `container "c" in pod "p" is not available`), anything else apierrors.NewGenericServerResponse
 * for the qualified resource (pods/log) and name.
 */
import { ApiError, badRequest, internalError, type StatusReason } from '../../api/errors.ts';

/** The most of an agent's error body that is read (upstream's maxReadLength). */
export const MAX_ERROR_BODY = 50_000;

const GENERIC: Record<number, [StatusReason, string]> = {
  404: ['NotFound', 'the server could not find the requested resource'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  409: ['Conflict', 'the server reported a conflict'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

export function agentError(code: number, body: string, resource: string, name: string): ApiError {
  if (code === 500) return internalError(body);
  if (code === 400) return badRequest(body);
  let [reason, message] = GENERIC[code] ?? (['' as StatusReason, `the server responded with the status code ${code} but did not return more information`] as [StatusReason, string]);
  if (code === 403) [reason, message] = ['Forbidden', body];
  else if (!GENERIC[code] && code >= 500) [reason, message] = ['InternalError', `an error on the server (${JSON.stringify(body)}) has prevented the request from succeeding`];
  return new ApiError(code, reason, `${message} ( ${resource} ${name})`, { kind: resource, name });
}
