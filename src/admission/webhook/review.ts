/**
 * AdmissionReview requests and the checks on their responses, as upstream's
 * webhook/request/admissionreview.go (v1 and v1beta1; the first version the webhook lists wins).
 */
import type { AdmissionAttributes } from '../types.ts';

export type ReviewVersion = 'v1' | 'v1beta1';

export function pickReviewVersion(versions: readonly string[] | undefined): ReviewVersion | undefined {
  for (const v of versions ?? []) if (v === 'v1' || v === 'v1beta1') return v;
  return undefined;
}

const OPTIONS_KIND: Record<string, string | undefined> = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' };

function optionsOf(a: AdmissionAttributes): Record<string, unknown> | null {
  if (a.options) return a.options;
  const kind = OPTIONS_KIND[a.operation];
  return kind ? { kind, apiVersion: 'meta.k8s.io/v1' } : null;
}

/** AdmissionRequest without uid, object and oldObject: also the `request` CEL variable. */
export function admissionRequestBase(a: AdmissionAttributes): Record<string, unknown> {
  const u = a.user;
  const userInfo: Record<string, unknown> = {};
  if (u.username) userInfo.username = u.username;
  if (u.uid) userInfo.uid = u.uid;
  if (u.groups.length > 0) userInfo.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length > 0) userInfo.extra = u.extra;
  const r: Record<string, unknown> = {
    kind: { ...a.kind },
    resource: { ...a.resource },
  };
  if (a.subresource) r.subResource = a.subresource;
  r.requestKind = { ...a.kind };
  r.requestResource = { ...a.resource };
  if (a.subresource) r.requestSubResource = a.subresource;
  if (a.name) r.name = a.name;
  if (a.namespace) r.namespace = a.namespace;
  r.operation = a.operation;
  r.userInfo = userInfo;
  r.dryRun = a.dryRun;
  r.options = optionsOf(a);
  return r;
}

export function admissionReview(version: ReviewVersion, uid: string, a: AdmissionAttributes): Record<string, unknown> {
  const { kind, resource, subResource, requestKind, requestResource, requestSubResource, name, namespace, operation, userInfo, dryRun, options } = admissionRequestBase(a);
  const request = {
    uid, kind, resource, subResource, requestKind, requestResource, requestSubResource, name, namespace, operation, userInfo,
    object: a.object ?? null,
    oldObject: a.oldObject ?? null,
    dryRun, options,
  };
  return { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request: JSON.parse(JSON.stringify(request)) };
}

export interface WebhookStatus {
  code?: number;
  message?: string;
  reason?: string;
  status?: string;
  details?: Record<string, unknown>;
}

export interface AdmissionResponse {
  allowed: boolean;
  result: WebhookStatus | undefined;
  /** Decoded from base64; undefined when none. */
  patch: Buffer | undefined;
  patchType: string;
  auditAnnotations: Record<string, string>;
  warnings: string[];
}

/** A message for an invalid response; the caller prefixes "received invalid webhook response: ". */
export class InvalidResponse extends Error {}
/** The body did not decode as an AdmissionReview; the caller prefixes "failed to call webhook: ". */
export class UndecodableResponse extends Error {}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(s: unknown): Buffer | undefined {
  if (s === undefined || s === null || s === '') return undefined;
  if (typeof s !== 'string') throw new UndecodableResponse('json: cannot unmarshal non-string into Go struct field AdmissionResponse.response.patch of type []uint8');
  if (!BASE64.test(s)) throw new UndecodableResponse(`illegal base64 data at input byte ${firstBadByte(s)}`);
  return Buffer.from(s, 'base64');
}

function firstBadByte(s: string): number {
  const i = s.search(/[^A-Za-z0-9+/=]/);
  return i >= 0 ? i : s.length - (s.length % 4);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a 2xx body (VerifyAdmissionResponse). */
export function verifyResponse(body: string, version: ReviewVersion, uid: string, mutating: boolean): AdmissionResponse {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (err) {
    throw new UndecodableResponse(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  if (!isRecord(review)) throw new UndecodableResponse("couldn't get version/kind; json parse error: json: cannot unmarshal into Go value of type struct");
  const r = review.response;
  if (!isRecord(r)) throw new InvalidResponse('webhook response was absent');
  let patch = mutating ? decodeBase64(r.patch) : undefined;
  let patchType = typeof r.patchType === 'string' ? r.patchType : '';
  if (version === 'v1') {
    if ((r.uid ?? '') !== uid) throw new InvalidResponse(`expected response.uid="${uid}", got "${String(r.uid ?? '')}"`);
    const gvk = `${String(review.apiVersion ?? '')}, Kind=${String(review.kind ?? '')}`;
    if (gvk !== 'admission.k8s.io/v1, Kind=AdmissionReview') throw new InvalidResponse(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${gvk}`);
    if (mutating) {
      const hasType = r.patchType !== undefined && r.patchType !== null;
      if (patch && !hasType) throw new InvalidResponse('webhook returned response.patch but not response.patchType');
      if (!patch && hasType) throw new InvalidResponse('webhook returned response.patchType but not response.patch');
      if (hasType && patchType === '') throw new InvalidResponse(`webhook returned invalid response.patchType of ""`);
    } else {
      if (r.patch) throw new InvalidResponse('validating webhook may not return response.patch');
      if (r.patchType !== undefined && r.patchType !== null) throw new InvalidResponse('validating webhook may not return response.patchType');
    }
  } else {
    // v1beta1 never checked uid, kind or patchType; a patch there is always a JSON patch.
    patchType = patch ? 'JSONPatch' : '';
    if (!mutating) patch = undefined;
  }
  const auditAnnotations: Record<string, string> = {};
  if (isRecord(r.auditAnnotations)) for (const [k, v] of Object.entries(r.auditAnnotations)) if (typeof v === 'string') auditAnnotations[k] = v;
  const warnings = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string') : [];
  return {
    allowed: r.allowed === true,
    result: isRecord(r.status) ? (r.status as WebhookStatus) : undefined,
    patch,
    patchType,
    auditAnnotations,
    warnings,
  };
}
