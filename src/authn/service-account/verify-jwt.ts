/**
 * The cryptographic half of service account token authentication: recognise our tokens without
 * trusting them, then verify the signature against the configured public keys.
 *
 * The algorithm comes from an allow-list and the key decides it, never the token: `alg: none`,
 * HS256 (which would turn a public key into an HMAC secret) and anything else are refused before
 * any key is touched, and a key is only ever tried with its own algorithm.
 */
import { compactVerify, decodeProtectedHeader } from 'jose';
import { AuthnError } from '../types.ts';
import { ALLOWED_ALGS, type ServiceAccountAlg, type VerificationKey } from './keys.ts';

/**
 * The unverified `iss` of a compact JWS, or undefined when the token is not one (upstream
 * hasCorrectIssuer): such tokens belong to other authenticators.
 */
export function peekIssuer(token: string): string | undefined {
  if (token.trimStart().startsWith('{')) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]*$/.test(parts[1]!)) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const iss = (payload as Record<string, unknown>).iss;
  return typeof iss === 'string' ? iss : undefined;
}

const invalid = (message: string) => new AuthnError('InvalidCredential', message);

export class JwtVerifier {
  readonly #keys: readonly VerificationKey[];

  constructor(keys: readonly VerificationKey[]) {
    if (keys.length === 0) throw new Error('service account token verification needs at least one public key');
    this.#keys = keys;
  }

  /** The verified payload; throws AuthnError when the token is malformed or no key verifies it. */
  async verify(token: string): Promise<Record<string, unknown>> {
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
    } catch {
      throw invalid('malformed token header');
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || !(ALLOWED_ALGS as readonly string[]).includes(alg)) {
      throw invalid(`token signing algorithm ${JSON.stringify(alg)} is not allowed`);
    }
    const kid = typeof header.kid === 'string' ? header.kid : '';
    // Upstream: a kid selects the keys with that id; no kid tries every key.
    const candidates = this.#keys.filter((k) => (kid === '' || k.kid === kid) && k.alg === (alg as ServiceAccountAlg));
    if (candidates.length === 0) throw invalid('invalid signature, no keys found');
    for (const k of candidates) {
      let payload: Uint8Array;
      try {
        ({ payload } = await compactVerify(token, k.key, { algorithms: [k.alg] }));
      } catch {
        continue;
      }
      let claims: unknown;
      try {
        claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
      } catch {
        throw invalid('token payload is not JSON');
      }
      if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw invalid('token payload is not a JSON object');
      return claims as Record<string, unknown>;
    }
    throw invalid('invalid signature');
  }
}
