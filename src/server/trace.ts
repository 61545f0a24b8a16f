/**
 * One decision trace per request, for `portcullis explain AUDIT-ID`: who the request was
 * (authentication method), why it was let through or not (the authorizer, its reason and, for
 * RBAC, the binding and rule), each admission verdict with its plugin, patches and time, and the
 * answer. The pipeline fills a trace as each stage decides; the server keeps the most recent ones
 * in a bounded ring, keyed by the request's Audit-Id.
 *
 * A trace holds references to what the stages produced anyway (the user, the authorizer's result,
 * the admission records) and is rendered only when someone asks: the request path pays for one
 * small object.
 */
import type { UserInfo } from '../authn/types.ts';
import type { AuthzResult } from '../authz/types.ts';
import type { VerdictRecord } from '../admission/types.ts';

/** How many traces a server keeps by default. */
export const DEFAULT_TRACE_CAPACITY = 2048;
/** Longest text (reason, message, patches as JSON) rendered per field. */
const MAX_TEXT = 4096;

export interface RequestTrace {
  auditID: string;
  /** ms since the epoch. */
  received: number;
  method: string;
  url: string;
  verb: string;
  user?: UserInfo;
  impersonatedBy?: UserInfo;
  authnResult?: 'success' | 'failure' | 'error';
  authnMethod?: string;
  authnMs?: number;
  authz?: AuthzResult;
  authzMs?: number;
  /** Rendered when the request ends: patches are clipped there, so a kept trace stays small. */
  admission?: RenderedVerdict[];
  code?: number;
  /** The error Status answered: its reason, message and the object's name when it names one. */
  status?: { reason?: string; message?: string; name?: string };
  durationMs?: number;
}

export interface RenderedVerdict {
  plugin: string;
  phase: 'mutating' | 'validating';
  allowed: boolean;
  reason?: string;
  patches?: string;
  durationMs: number;
}

export function traceAdmission(t: RequestTrace, records: readonly VerdictRecord[]): void {
  if (records.length === 0) return;
  t.admission = records.map((r) => {
    const durationMs = round(r.durationMs);
    // Most verdicts carry neither a reason nor patches: one object literal, no spreads.
    if (!r.reason && !(r.patches && r.patches.length > 0)) return { plugin: r.plugin, phase: r.phase, allowed: r.allowed, durationMs };
    return {
      plugin: r.plugin,
      phase: r.phase,
      allowed: r.allowed,
      ...(r.reason ? { reason: clip(r.reason) } : {}),
      ...(r.patches && r.patches.length > 0 ? { patches: clip(JSON.stringify(r.patches)) } : {}),
      durationMs,
    };
  });
}

export function newTrace(method: string, url: string, received: number): RequestTrace {
  return { auditID: '', received, method, url, verb: '' };
}

/** The document `/debug/portcullis/explain/<id>` serves. */
export function renderTrace(t: RequestTrace): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: 'DecisionTrace',
    apiVersion: 'portcullis.dev/v1alpha1',
    auditID: t.auditID,
    requestReceivedTimestamp: new Date(t.received).toISOString(),
    verb: t.verb,
    requestURI: clip(t.url),
  };
  if (t.user) out.user = userOf(t.user);
  if (t.impersonatedBy) out.impersonatedBy = userOf(t.impersonatedBy);
  if (t.authnResult) out.authentication = { result: t.authnResult, ...(t.authnMethod ? { method: t.authnMethod } : {}), durationMs: round(t.authnMs ?? 0) };
  if (t.authz) out.authorization = renderAuthz(t.authz, t.authzMs ?? 0);
  out.admission = t.admission ?? [];
  if (t.code !== undefined) out.response = { code: t.code, ...t.status };
  if (t.durationMs !== undefined) out.durationMs = round(t.durationMs);
  return out;
}

function renderAuthz(r: AuthzResult, ms: number): Record<string, unknown> {
  // An evaluation error's text may name backends: it is logged, never served (as the 500 says).
  const out: Record<string, unknown> = { decision: r.evaluationError ? 'error' : r.decision, ...(r.authorizer ? { authorizer: r.authorizer } : {}), reason: clip(r.reason), durationMs: round(ms) };
  const grant = (r as { grant?: { binding: object; roleRef: { kind: string; name: string }; rule: unknown } }).grant;
  if (grant) {
    out.binding = { ...grant.binding };
    out.role = { kind: grant.roleRef.kind, name: grant.roleRef.name };
    out.rule = grant.rule;
  }
  return out;
}

function userOf(u: UserInfo): { username: string; groups: string[] } {
  return { username: u.username, groups: [...u.groups] };
}

/** The error Status of the answer, clipped. */
export function traceStatus(t: RequestTrace, reason: string | undefined, message: string | undefined, name?: string): void {
  t.status = { ...(reason ? { reason } : {}), ...(message ? { message: clip(message) } : {}), ...(name ? { name } : {}) };
}

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Most groups of a user a kept trace names. */
const MAX_GROUPS = 64;
const MAX_NAME = 256;

/**
 * What a client controls (the URL, an identity's names and groups: impersonation headers, token
 * claims) is cut to a bounded size before a trace is kept, so the ring's memory has a bound that
 * does not depend on what clients send.
 */
function shrink(t: RequestTrace): void {
  if (t.url.length > MAX_TEXT) t.url = clip(t.url);
  if (t.user) t.user = smallUser(t.user);
  if (t.impersonatedBy) t.impersonatedBy = smallUser(t.impersonatedBy);
}

function smallUser(u: UserInfo): UserInfo {
  if (u.groups.length <= MAX_GROUPS && u.username.length <= MAX_NAME && !u.groups.some((g) => g.length > MAX_NAME) && u.extra === undefined) return u;
  const cut = (x: string) => (x.length > MAX_NAME ? `${x.slice(0, MAX_NAME)}…` : x);
  const groups = u.groups.slice(0, MAX_GROUPS).map(cut);
  if (u.groups.length > MAX_GROUPS) groups.push(`… ${u.groups.length - MAX_GROUPS} more`);
  return { username: cut(u.username), groups };
}

/** The most recent traces, at most `capacity`, by audit ID; the oldest goes first. */
export class TraceRing {
  readonly capacity: number;
  readonly #slots: (RequestTrace | undefined)[];
  readonly #byId = new Map<string, RequestTrace>();
  #next = 0;

  constructor(capacity = DEFAULT_TRACE_CAPACITY) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`trace capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#slots = new Array(capacity);
  }

  /** Keeps `t` (under its audit ID; a trace without one cannot be asked for and is not kept). */
  add(t: RequestTrace): void {
    if (!t.auditID) return;
    shrink(t);
    const old = this.#slots[this.#next];
    if (old && this.#byId.get(old.auditID) === old) this.#byId.delete(old.auditID);
    this.#slots[this.#next] = t;
    this.#byId.set(t.auditID, t);
    this.#next = (this.#next + 1) % this.capacity;
  }

  get(auditID: string): RequestTrace | undefined {
    return this.#byId.get(auditID);
  }

  get size(): number {
    return this.#byId.size;
  }
}
