/**
 * Service account issuer discovery (upstream pkg/serviceaccount/openidmetadata.go and
 * pkg/routes/openidmetadata.go): `/.well-known/openid-configuration` and `/openid/v1/jwks`, so
 * relying parties outside the cluster can verify service account tokens as OIDC ID tokens.
 * Both documents are rendered once, when built; the keys are static for the server's life.
 */
import { exportJWK } from 'jose';
import type { VerificationKey } from './keys.ts';

export const OPENID_CONFIG_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';
/** upstream: the static key getter's cache age, also sent as max-age */
export const DISCOVERY_MAX_AGE_SECONDS = 3600;

export class OidcDiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OidcDiscoveryError';
  }
}

export interface OidcDiscoveryOptions {
  /** the first --service-account-issuer; must be an https URL without query or fragment */
  issuer: string;
  keys: readonly VerificationKey[];
  /** --service-account-jwks-uri; must be https */
  jwksUri?: string;
  /** host[:port] the server is reached at (upstream --external-hostname / advertise address) */
  externalAddress?: string;
}

export interface OidcDiscovery {
  configJson: string;
  jwksJson: string;
}

export interface DiscoveryResponse {
  code: 200;
  contentType: string;
  headers: Record<string, string>;
  body: string;
}

/** The public JWK of one key, in go-jose's field order: use, kty, kid, crv, alg, x, y / n, e. */
export async function publicJwk(k: VerificationKey): Promise<Record<string, string>> {
  const jwk = await exportJWK(k.key);
  if (jwk.kty === 'EC') return { use: 'sig', kty: 'EC', kid: k.kid, crv: jwk.crv!, alg: k.alg, x: jwk.x!, y: jwk.y! };
  return { use: 'sig', kty: 'RSA', kid: k.kid, alg: k.alg, n: jwk.n!, e: jwk.e! };
}

/**
 * Upstream validates more strictly here than for tokens and, on failure, logs and serves no
 * discovery at all; callers should do the same with the thrown OidcDiscoveryError.
 */
export async function buildOidcDiscovery(opts: OidcDiscoveryOptions): Promise<OidcDiscovery> {
  if (!opts.issuer) throw new OidcDiscoveryError('empty issuer URL');
  let iss: URL;
  try {
    iss = new URL(opts.issuer);
  } catch {
    throw new OidcDiscoveryError(`issuer URL is not a URL: ${opts.issuer}`);
  }
  if (iss.protocol !== 'https:') throw new OidcDiscoveryError(`issuer URL must use https scheme, got: ${opts.issuer}`);
  if (iss.search !== '' || opts.issuer.includes('?')) throw new OidcDiscoveryError(`issuer URL may not include a query, got: ${opts.issuer}`);
  if (iss.hash !== '' || opts.issuer.includes('#')) throw new OidcDiscoveryError(`issuer URL may not include a fragment, got: ${opts.issuer}`);
  let jwksUri: string;
  if (opts.jwksUri) {
    let u: URL;
    try {
      u = new URL(opts.jwksUri);
    } catch {
      throw new OidcDiscoveryError(`jwksURI is not a URL: ${opts.jwksUri}`);
    }
    if (u.protocol !== 'https:') throw new OidcDiscoveryError(`jwksURI requires https scheme, parsed as: ${opts.jwksUri}`);
    jwksUri = opts.jwksUri;
  } else {
    const host = opts.externalAddress ?? '';
    if (host === '' || /[/?#@\s]/.test(host)) {
      throw new OidcDiscoveryError(`attempted to build jwks_uri from external address ${host}, but could not construct a valid URL`);
    }
    jwksUri = `https://${host}${JWKS_PATH}`;
  }
  if (opts.keys.length === 0) throw new OidcDiscoveryError('no keys provided for validating keyset');
  const keys = await Promise.all(opts.keys.map(publicJwk));
  const algs = [...new Set(keys.map((k) => k.alg!))].sort();
  const config = {
    issuer: opts.issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: algs,
  };
  return { configJson: JSON.stringify(config), jwksJson: JSON.stringify({ keys }) };
}

/** The response for a discovery path (GET/HEAD), or undefined for any other path. */
export function serveOidcDiscovery(d: OidcDiscovery, path: string): DiscoveryResponse | undefined {
  const headers = { 'cache-control': `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}` };
  if (path === OPENID_CONFIG_PATH) return { code: 200, contentType: 'application/json', headers, body: d.configJson };
  if (path === JWKS_PATH) return { code: 200, contentType: 'application/jwk-set+json', headers, body: d.jwksJson };
  return undefined;
}
