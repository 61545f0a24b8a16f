/** The authentication boundary (DESIGN.md): one small interface, a union in front of many methods. */
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What an authenticator may look at: headers and the TLS connection, never the body. */
export interface AuthnRequest {
  headers: Record<string, string | string[] | undefined>;
  socket: TLSSocket | undefined;
}

export type AuthnErrorCode = 'InvalidCredential' | 'Expired' | 'UntrustedIssuer' | 'Internal';

export class AuthnError extends Error {
  readonly code: AuthnErrorCode;
  constructor(code: AuthnErrorCode, message: string) {
    super(message);
    this.name = 'AuthnError';
    this.code = code;
  }
}

export type AuthnResult =
  | { kind: 'authenticated'; user: UserInfo; method: string }
  | { kind: 'no-opinion' }
  | { kind: 'rejected'; error: AuthnError; method: string };

export interface RequestAuthenticator {
  readonly name: string;
  authenticate(req: AuthnRequest): Promise<AuthnResult>;
  /**
   * The same decision, given at once when it needs no waiting (a verified connection, a header,
   * a cache hit), else the promise of it: the request path takes the answer in the same tick
   * when every authenticator on its way has one. authenticate() is this behind a promise.
   */
  authenticateNow?(req: AuthnRequest): AuthnResult | Promise<AuthnResult>;
}

/** A value now, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Whether an authenticator's answer is still to come. Any thenable counts, so a foreign promise
 * is awaited rather than read as an answer (its missing `kind` would otherwise slip through).
 */
export function isPending<T>(r: MaybePromise<T>): r is Promise<T> {
  return r instanceof Promise || (typeof r === 'object' && r !== null && typeof (r as { then?: unknown }).then === 'function');
}

export const GROUP_AUTHENTICATED = 'system:authenticated';
export const GROUP_UNAUTHENTICATED = 'system:unauthenticated';
export const USER_ANONYMOUS = 'system:anonymous';
