/**
 * `Authorization: Bearer <token>` (upstream request/bearertoken), shared by every token method:
 * the header is parsed once here and the token handed to each TokenAuthenticator in turn.
 *
 * Like upstream: no Authorization header, another scheme, or an empty token is no opinion; a token
 * nobody recognises is a rejection ("invalid bearer token"), so it can never fall through to
 * anonymous. Stricter than upstream, because a header that could mean two things must mean none:
 * repeated Authorization headers, control characters (CR/LF), whitespace or non-ASCII inside the
 * token, and tokens over 16 KiB are rejected instead of being read leniently.
 */
import type { AuthnRequest, AuthnResult, MaybePromise, RequestAuthenticator } from './types.ts';
import { AuthnError } from './types.ts';
import { askInTurn } from './ask-in-turn.ts';
import { hasControlChars, headerValues, type HeaderBag } from './raw-headers.ts';

export const MAX_BEARER_TOKEN_BYTES = 16 * 1024;

export type BearerParse =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'malformed'; reason: string };

/** One token method (token file, service accounts, OIDC, webhook): judges a bare token. */
export interface TokenAuthenticator {
  readonly name: string;
  /** no-opinion when the token is not of this kind or unknown; rejected when it is but is bad. */
  authenticateToken(token: string): Promise<AuthnResult>;
  /** The same answer at once when it needs no waiting (see RequestAuthenticator.authenticateNow). */
  authenticateTokenNow?(token: string): MaybePromise<AuthnResult>;
}

// RFC 6750 b64token is narrower, but upstream accepts any non-space bytes (JWTs, "id.secret"
// bootstrap tokens, opaque file tokens); visible ASCII keeps all of those and nothing ambiguous.
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

export function parseBearer(headers: HeaderBag): BearerParse {
  const values = headerValues(headers, 'authorization');
  if (values.length === 0) return { kind: 'none' };
  if (values.length > 1) return { kind: 'malformed', reason: 'multiple Authorization headers' };
  const raw = values[0]!;
  // Checked before anything else so a huge header costs no more than its length.
  if (raw.length > MAX_BEARER_TOKEN_BYTES + 64) return { kind: 'malformed', reason: 'bearer token too large' };
  if (hasControlChars(raw)) return { kind: 'malformed', reason: 'control characters in Authorization header' };
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  const sp = value.indexOf(' ');
  // "Bearer" alone, "Basic xyz", "Negotiate": not ours (upstream: no opinion).
  if (sp < 0 || value.slice(0, sp).toLowerCase() !== 'bearer') return { kind: 'none' };
  const token = value.slice(sp + 1);
  if (token.length > MAX_BEARER_TOKEN_BYTES) return { kind: 'malformed', reason: 'bearer token too large' };
  // Upstream ignores "Bearer  x" with a warning and reads "Bearer x y" as "x"; a presented token
  // we cannot read unambiguously is refused instead.
  if (!TOKEN_CHARS.test(token)) return { kind: 'malformed', reason: 'bearer token contains whitespace or non-ASCII characters' };
  return { kind: 'token', token };
}

/**
 * The request authenticator in front of the token methods. The first member to authenticate wins;
 * a member's rejection stops the search (a bad credential never reaches a weaker method); a token
 * that every member ignores is rejected.
 */
export class BearerTokenAuthenticator implements RequestAuthenticator {
  readonly name = 'bearer';
  readonly #members: readonly TokenAuthenticator[];

  constructor(members: readonly TokenAuthenticator[]) {
    this.#members = members;
  }

  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    return this.authenticateNow(req);
  }

  /** At once while each member asked answers at once; from the first that waits, after it. */
  authenticateNow(req: AuthnRequest): MaybePromise<AuthnResult> {
    const p = parseBearer(req.headers);
    if (p.kind === 'none') return { kind: 'no-opinion' };
    if (p.kind === 'malformed') return this.#reject(`invalid bearer token: ${p.reason}`);
    return askInTurn(this.#members, 0, (m) => (m.authenticateTokenNow ? m.authenticateTokenNow(p.token) : m.authenticateToken(p.token)), () => this.#reject('invalid bearer token'));
  }

  #reject(message: string): AuthnResult {
    return { kind: 'rejected', method: this.name, error: new AuthnError('InvalidCredential', message) };
  }
}
