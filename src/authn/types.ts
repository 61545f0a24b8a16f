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
}

export const GROUP_AUTHENTICATED = 'system:authenticated';
export const GROUP_UNAUTHENTICATED = 'system:unauthenticated';
export const USER_ANONYMOUS = 'system:anonymous';
