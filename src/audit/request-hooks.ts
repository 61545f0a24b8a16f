/**
 * Where the pipeline and the server hand the audit record what they learn (build-server.ts,
 * pipeline.ts call these). Every response carries an Audit-Id header, with or without a policy;
 * with none, nothing else runs (no record, no hooks).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors.ts';
import { decodeProtobufObject } from '../api/codecs/protobuf.ts';
import { mediaType, parseJsonBody, parseYamlBody } from '../api/codecs/decode-body.ts';
import type { Schema } from '../api/schema/types.ts';
import type { AuthzResult } from '../authz/types.ts';
import type { Auditor } from './auditor.ts';
import { auditIdFor, AUDIT_ID_HEADER, sourceIPs } from './http.ts';
import { DECISION_ANNOTATION as DECISION_KEY, REASON_ANNOTATION as REASON_KEY, type RequestAudit } from './request-audit.ts';

const RECORD = Symbol('portcullis.audit');
const DECISION = Symbol('portcullis.authz-decision');

/** Sets the Audit-Id header and, when auditing, starts the request's record. */
export function beginAudit(auditor: Auditor | undefined, newId: (() => string) | undefined, req: FastifyRequest, reply: FastifyReply): void {
  const auditID = auditIdFor(req.headers[AUDIT_ID_HEADER], newId ?? randomUUID);
  void reply.header(AUDIT_ID_HEADER, auditID);
  // Also on the raw response: a hijacked reply (a watch, a proxied aggregated API) writes its own headers.
  reply.raw.setHeader(AUDIT_ID_HEADER, auditID);
  if (!auditor) return;
  const ua = req.headers['user-agent'];
  const rec = auditor.begin({ auditID, requestURI: req.raw.url ?? '/', sourceIPs: sourceIPs(req.headers, req.raw.socket?.remoteAddress), userAgent: typeof ua === 'string' ? ua : undefined });
  (req as unknown as Record<symbol, RequestAudit>)[RECORD] = rec;
  // Every answer ends in 'close' (sent, hijacked and ended, or cut off): the record completes then.
  const res = reply.raw;
  res.once('close', () => rec.complete(res.headersSent ? res.statusCode : 0));
}

export function requestAudit(req: FastifyRequest): RequestAudit | undefined {
  return (req as unknown as Record<symbol, RequestAudit | undefined>)[RECORD];
}

/** Marks a refusal with the authorization result behind it, for the record's decision annotations. */
export function withAuthzDecision<E extends Error>(err: E, r: AuthzResult): E {
  (err as unknown as Record<symbol, AuthzResult>)[DECISION] = r;
  return err;
}

/** An allowed request: upstream's authorization.k8s.io/decision and /reason annotations. */
export function auditAuthorized(req: FastifyRequest, r: AuthzResult): void {
  requestAudit(req)?.annotate(decisionAnnotations(r));
}

function decisionAnnotations(r: AuthzResult): Record<string, string> {
  if (r.decision === 'allow') return { [DECISION_KEY]: 'allow', [REASON_KEY]: r.reason };
  // An authorizer error: upstream records only this reason (never the error's text).
  if (r.evaluationError) return { [REASON_KEY]: 'internal error' };
  // Upstream leaves the reason empty when no authorizer had an opinion; the record says so instead.
  return { [DECISION_KEY]: 'forbid', [REASON_KEY]: r.reason || 'no authorizer allowed the request (no rule matched)' };
}

/** An error answer (the server's error handler): a 401's record, a 403's decision, the Status. */
export function auditFailure(req: FastifyRequest, err: unknown, status: { status?: string; message?: string; reason?: string; details?: unknown; code: number }): void {
  const rec = requestAudit(req);
  if (!rec) return;
  if (status.code === 401 && rec.config === undefined) {
    rec.authenticationFailed(authFailureMessage(req));
    return;
  }
  const decision = (err as Record<symbol, AuthzResult | undefined> | undefined)?.[DECISION];
  if (decision) rec.annotate(decisionAnnotations(decision));
  // Not a refusal the server meant: upstream's Panic stage.
  if (!(err instanceof ApiError) && status.code === 500) rec.panic(status.message ?? 'internal error');
  else rec.setStatus(status);
}

/** A watch: ResponseStarted when its headers go out (ResponseComplete comes with 'close', see beginAudit). */
export function auditWatch(rec: RequestAudit, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, code: number, ...rest: unknown[]) {
    rec.responseStarted(code);
    return (writeHead as (...a: unknown[]) => ServerResponse).call(this, code, ...rest);
  } as ServerResponse['writeHead'];
}

/** The request body as the record holds it (the decoded object, or a patch as sent); undefined if unreadable. */
export function decodeForAudit(schema: Schema, contentType: string | undefined, body: Buffer): unknown {
  try {
    const mt = mediaType(contentType);
    if (mt === 'application/vnd.kubernetes.protobuf') return decodeProtobufObject(schema, body);
    if (mt.endsWith('yaml')) return parseYamlBody(body.toString('utf8'));
    return parseJsonBody(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Upstream's getAuthMethods: which credentials a failed request offered (never their values). */
function authFailureMessage(req: FastifyRequest): string {
  const methods: string[] = [];
  const raw = req.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== 'authorization') continue;
    const scheme = raw[i + 1]!.trim().split(' ')[0]!.toLowerCase();
    if (scheme === 'basic' && !methods.includes('basic')) methods.push('basic');
    if (scheme === 'bearer' && !methods.includes('bearer')) methods.push('bearer');
  }
  const sock = req.raw.socket as TLSSocket;
  const cert = typeof sock?.getPeerCertificate === 'function' ? sock.getPeerCertificate() : undefined;
  if (cert && Object.keys(cert).length > 0) methods.push('x509');
  return methods.length ? `Authentication failed, attempted: ${methods.join(', ')}` : 'Authentication failed, no credentials provided';
}
