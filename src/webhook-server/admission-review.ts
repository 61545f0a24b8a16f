/**
 * The server side of admission.k8s.io AdmissionReview (v1 and v1beta1, as the API server sends
 * them; see src/admission/webhook/review.ts for the client side): a request read into the
 * attributes the admission plugins take, and the response written as upstream's webhooks write
 * it. A body that is not a review is a BadReview, answered with HTTP 400 and a plain message, as
 * Kubernetes' own test webhook (agnhost) answers one it cannot decode.
 */
import type { UserInfo } from '../authn/types.ts';
import { gvkString } from '../admission/cel/params.ts';
import type { AdmissionAttributes, Operation } from '../admission/types.ts';

export class BadReview extends Error {}

type Obj = Record<string, any>;

export interface ParsedReview {
  apiVersion: string;
  uid: string;
  attributes: AdmissionAttributes;
}

const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];
const VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, field: string, where: string, required = false): string {
  const v = o[field];
  if (v === undefined || v === null) {
    if (required) throw new BadReview(`${where}.${field} is required`);
    return '';
  }
  if (typeof v !== 'string') throw new BadReview(`${where}.${field} must be a string`);
  return v;
}

function gv(o: Obj, field: string, third: 'kind' | 'resource'): { group: string; version: string } & Record<string, string> {
  const v = o[field];
  if (!isObj(v)) throw new BadReview(`request.${field} is required`);
  return { group: str(v, 'group', `request.${field}`), version: str(v, 'version', `request.${field}`, true), [third]: str(v, third, `request.${field}`, true) } as never;
}

function userInfo(v: unknown): UserInfo {
  if (v === undefined || v === null) return { username: '', groups: [] };
  if (!isObj(v)) throw new BadReview('request.userInfo must be an object');
  const groups = v.groups ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) throw new BadReview('request.userInfo.groups must be a list of strings');
  const extra: Record<string, string[]> = {};
  if (v.extra !== undefined && v.extra !== null) {
    if (!isObj(v.extra)) throw new BadReview('request.userInfo.extra must be a map of string lists');
    for (const [k, list] of Object.entries(v.extra)) {
      if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new BadReview('request.userInfo.extra must be a map of string lists');
      extra[k] = list as string[];
    }
  }
  return { username: str(v, 'username', 'request.userInfo'), ...(typeof v.uid === 'string' && v.uid ? { uid: v.uid } : {}), groups: groups as string[], ...(Object.keys(extra).length ? { extra } : {}) };
}

function objectOrNull(v: unknown, field: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new BadReview(`request.${field} must be an object`);
  return v;
}

/** Unless the body is a `kind` of one of `versions`: agnhost's 400 ("Unsupported group version kind: /v1, Kind=Pod"). */
export function expectKind(doc: Obj, kind: string, versions: readonly string[]): void {
  if (doc.kind === kind && versions.includes(doc.apiVersion)) return;
  const gvk = gvkString(typeof doc.apiVersion === 'string' ? doc.apiVersion : '', typeof doc.kind === 'string' ? doc.kind : '');
  throw new BadReview(`Unsupported group version kind: ${gvk} (expected ${kind} of ${versions.join(' or ')})`);
}

/** A review's JSON object, or the 400 that answers it (agnhost's words). */
export function decodeReview(body: string): Obj {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new BadReview(`Request could not be decoded: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw new BadReview('Request could not be decoded: not a JSON object');
  return doc;
}

/** Parses a review body (bytes already checked to be JSON text). */
export function parseAdmissionReview(body: string): ParsedReview {
  const doc = decodeReview(body);
  expectKind(doc, 'AdmissionReview', VERSIONS);
  const r = doc.request;
  if (!isObj(r)) throw new BadReview('AdmissionReview.request is required');
  const uid = str(r, 'uid', 'request', true);
  if (uid === '') throw new BadReview('request.uid is required');
  const operation = str(r, 'operation', 'request', true) as Operation;
  if (!OPERATIONS.includes(operation)) throw new BadReview(`request.operation must be one of ${OPERATIONS.join(', ')}, got ${JSON.stringify(operation)}`);
  if (r.dryRun !== undefined && r.dryRun !== null && typeof r.dryRun !== 'boolean') throw new BadReview('request.dryRun must be a boolean');
  const kind = gv(r, 'kind', 'kind') as unknown as AdmissionAttributes['kind'];
  const resource = gv(r, 'resource', 'resource') as unknown as AdmissionAttributes['resource'];
  const attributes: AdmissionAttributes = {
    operation,
    object: objectOrNull(r.object, 'object'),
    oldObject: objectOrNull(r.oldObject, 'oldObject'),
    kind,
    resource,
    subresource: str(r, 'subResource', 'request'),
    namespace: str(r, 'namespace', 'request'),
    name: str(r, 'name', 'request'),
    user: userInfo(r.userInfo),
    dryRun: r.dryRun === true,
    ...(isObj(r.options) ? { options: r.options } : {}),
  };
  return { apiVersion: doc.apiVersion, uid, attributes };
}

export interface ReviewAnswer {
  allowed: boolean;
  /** For a denial: what the API server puts in its Status ("admission webhook ... denied the request: MESSAGE"). */
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  /** RFC 6902 operations, for a mutating answer that changes the object. */
  patch?: unknown[];
}

/** The AdmissionReview answered, in the version asked. */
export function admissionResponse(review: Pick<ParsedReview, 'apiVersion' | 'uid'>, a: ReviewAnswer): Obj {
  const response: Obj = { uid: review.uid, allowed: a.allowed };
  if (!a.allowed && a.status) response.status = { metadata: {}, status: 'Failure', ...a.status };
  if (a.patch && a.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(a.patch)).toString('base64');
  }
  if (a.auditAnnotations && Object.keys(a.auditAnnotations).length > 0) response.auditAnnotations = a.auditAnnotations;
  if (a.warnings && a.warnings.length > 0) response.warnings = a.warnings;
  return { apiVersion: review.apiVersion, kind: 'AdmissionReview', response };
}
