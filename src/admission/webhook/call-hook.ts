/**
 * One call of one webhook: the dry-run check, the AdmissionReview POST and the response checks,
 * as upstream's dispatchers' callHook. Failures to get a usable answer are CallingWebhookErrors
 * (failurePolicy decides); everything else is an ApiError that ends the request.
 */
import type { Store } from '../../storage/types.ts';
import type { AdmissionAttributes } from '../types.ts';
import { CallingWebhookError, dryRunUnsupported } from './errors.ts';
import { postJson, PostError } from './post-json.ts';
import { resolveTarget, ResolveError } from './resolve-target.ts';
import { admissionReview, InvalidResponse, pickReviewVersion, UndecodableResponse, verifyResponse, type AdmissionResponse, type WebhookStatus } from './review.ts';
import type { Hook } from './types.ts';

export interface CallHookDeps {
  store: Store;
  newUid: () => string;
  /** Told each call's duration and whether it rejected (apiserver_admission_webhook_admission_duration_seconds). */
  observeWebhook?: (name: string, type: 'admit' | 'validate', operation: string, rejected: boolean, seconds: number) => void;
}

/** client-go's wording for an error answer that is not a Status. */
function unstructuredError(status: number, body: string): string {
  switch (status) {
    case 400: return 'the server rejected our request for an unknown reason';
    case 401: return 'the server has asked for the client to provide credentials';
    case 403: return 'the server does not allow access to the requested resource';
    case 404: return 'the server could not find the requested resource';
    case 429: return 'the server has received too many requests and has asked us to try again later';
    case 503: return 'the server is currently unable to handle the request';
    case 504: return 'the server was unable to return a response in the time allotted, but may still be processing the request';
    default: return `an error on the server (${JSON.stringify(body.trim().slice(0, 1024))}) has prevented the request from succeeding`;
  }
}

function errorAnswer(status: number, body: string): string {
  try {
    const s = JSON.parse(body) as WebhookStatus & { kind?: string };
    if (s && s.kind === 'Status' && typeof s.message === 'string') return s.message;
  } catch {
    // not a Status: fall through to the generic wording
  }
  return unstructuredError(status, body);
}

/** The rest client adds the deadline as ?timeout=<seconds>s, and Go's errors show the URL with it. */
function withTimeout(url: string, hook: Hook): string {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  return `${base}${base.includes('?') ? '&' : '?'}timeout=${hook.timeoutSeconds}s`;
}

/** One call of one webhook, timed: a call that fails counts as rejected, as upstream observes it. */
export async function callHook(deps: CallHookDeps, hook: Hook, a: AdmissionAttributes, mutating: boolean): Promise<AdmissionResponse> {
  if (!deps.observeWebhook) return callHookOnce(deps, hook, a, mutating);
  const t0 = performance.now();
  let rejected = true;
  try {
    const r = await callHookOnce(deps, hook, a, mutating);
    rejected = !r.allowed;
    return r;
  } finally {
    deps.observeWebhook(hook.name, mutating ? 'admit' : 'validate', a.operation, rejected, (performance.now() - t0) / 1000);
  }
}

async function callHookOnce(deps: CallHookDeps, hook: Hook, a: AdmissionAttributes, mutating: boolean): Promise<AdmissionResponse> {
  const fail = (reason: string) => new CallingWebhookError(hook.name, reason);
  if (a.dryRun) {
    const se = hook.spec.sideEffects;
    if (!se) throw fail('Webhook SideEffects is nil');
    if (se !== 'None' && se !== 'NoneOnDryRun') throw dryRunUnsupported(hook.name);
  }
  const version = pickReviewVersion(hook.spec.admissionReviewVersions);
  if (!version) throw fail('could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)');
  const uid = deps.newUid();
  const body = JSON.stringify(admissionReview(version, uid, a));

  let target;
  try {
    target = await resolveTarget(deps.store, hook.spec.clientConfig);
  } catch (err) {
    if (err instanceof ResolveError) throw fail(`failed to call webhook: Post "${withTimeout(err.display, hook)}": ${err.message}`);
    throw fail(`could not get REST client: ${(err as Error).message}`);
  }
  const shown = `Post "${withTimeout(target.display, hook)}"`;
  const path = target.url.pathname + (target.url.search ? `${target.url.search}&` : '?') + `timeout=${hook.timeoutSeconds}s`;
  let res;
  try {
    res = await postJson(target, path, body, hook.timeoutSeconds * 1000);
  } catch (err) {
    if (err instanceof PostError) throw fail(`failed to call webhook: ${shown}: ${err.message}`);
    throw err;
  }
  if (res.status < 200 || res.status > 299) throw fail(`failed to call webhook: ${errorAnswer(res.status, res.body)}`);
  try {
    return verifyResponse(res.body, version, uid, mutating);
  } catch (err) {
    if (err instanceof UndecodableResponse) throw fail(`failed to call webhook: ${err.message}`);
    if (err instanceof InvalidResponse) throw fail(`received invalid webhook response: ${err.message}`);
    throw err;
  }
}
