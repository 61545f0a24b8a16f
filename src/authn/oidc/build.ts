/**
 * Builds the OIDC token authenticators from either the --oidc-* flags or an --authentication-config
 * file (never both, as upstream). All validation and CEL compilation happen here, so a bad setting
 * stops the server at startup with the field named, and requests never meet bad config.
 */
import { readFileSync } from 'node:fs';
import { httpsJsonFetcher, type FetchJson } from './https-get-json.ts';
import { JwtAuthenticator } from './jwt-authenticator.ts';
import type { AuthenticationConfiguration, JwtAuthenticatorConfig } from './jwt-config.ts';
import { OidcConfigError, duplicate, type FieldError } from './field-errors.ts';
import { jwtFromFlags, type OidcFlags } from './flags.ts';
import { parseAuthenticationConfiguration } from './parse-config.ts';
import { validateJwt, type CompiledJwt } from './validate-jwt.ts';

export interface OidcBuildOptions {
  flags?: OidcFlags;
  /** --authentication-config path. */
  authenticationConfigFile?: string;
  /** Or the file's content directly (tests, embedding). */
  authenticationConfig?: string;
  now: () => Date;
  /** Issuers no jwt authenticator may claim, e.g. the --service-account-issuer values. */
  disallowedIssuers?: readonly string[];
  /** Allowed algorithms for the config-file issuers (the flags carry their own); default ["RS256"]. */
  signingAlgs?: readonly string[];
  clockSkewSeconds?: number;
  minRefreshIntervalMs?: number;
  /** Replaces the HTTPS fetcher (per issuer CA); for tests that need no network. */
  fetcherFor?: (caPem: string | undefined) => FetchJson;
}

export interface OidcBuildResult {
  authenticators: JwtAuthenticator[];
  /** The parsed file, when one was given (its `anonymous` section is for the anonymous authenticator). */
  config?: AuthenticationConfiguration;
}

/** Validates and compiles every `jwt` entry; throws one OidcConfigError listing all problems. */
export function compileJwtAuthenticators(jwts: readonly JwtAuthenticatorConfig[], disallowedIssuers: readonly string[] = [], context?: string): CompiledJwt[] {
  const errs: FieldError[] = [];
  if (jwts.length > 64) errs.push({ path: 'jwt', type: 'Too many', value: jwts.length, detail: 'must have at most 64 items' });
  const out: CompiledJwt[] = [];
  const seenIssuers = new Set<string>();
  const seenDiscovery = new Set<string>();
  jwts.forEach((j, i) => {
    const r = validateJwt(j, `jwt[${i}]`, disallowedIssuers);
    errs.push(...r.errors);
    if (r.compiled) out.push(r.compiled);
    if (seenIssuers.has(j.issuer.url)) errs.push(duplicate(`jwt[${i}].issuer.url`, j.issuer.url));
    seenIssuers.add(j.issuer.url);
    if (j.issuer.discoveryURL) {
      if (seenDiscovery.has(j.issuer.discoveryURL)) errs.push(duplicate(`jwt[${i}].issuer.discoveryURL`, j.issuer.discoveryURL));
      seenDiscovery.add(j.issuer.discoveryURL);
    }
  });
  if (errs.length > 0) throw new OidcConfigError(errs, context);
  return out;
}

export function buildOidcAuthenticators(opts: OidcBuildOptions): OidcBuildResult {
  const hasFile = opts.authenticationConfigFile !== undefined || opts.authenticationConfig !== undefined;
  if (opts.flags && hasFile) throw new OidcConfigError([{ path: '--authentication-config', type: 'Forbidden', detail: 'authentication-config file and oidc-* flags are mutually exclusive' }]);
  const fetcherFor = opts.fetcherFor ?? httpsJsonFetcher;
  const make = (jwt: CompiledJwt, signingAlgs?: readonly string[]) =>
    new JwtAuthenticator({
      jwt,
      signingAlgs,
      fetchJson: fetcherFor(jwt.config.issuer.certificateAuthority),
      now: opts.now,
      clockSkewSeconds: opts.clockSkewSeconds,
      minRefreshIntervalMs: opts.minRefreshIntervalMs,
    });
  if (opts.flags) {
    const { jwt, signingAlgs } = jwtFromFlags(opts.flags);
    const [compiled] = compileJwtAuthenticators([jwt], opts.disallowedIssuers, 'oidc flags');
    return { authenticators: [make(compiled!, signingAlgs)] };
  }
  if (!hasFile) return { authenticators: [] };
  const source = opts.authenticationConfigFile ?? 'authentication config';
  const text = opts.authenticationConfig ?? readFileSync(opts.authenticationConfigFile!, 'utf8');
  const config = parseAuthenticationConfiguration(text, source);
  const compiled = compileJwtAuthenticators(config.jwt, opts.disallowedIssuers, source);
  return { authenticators: compiled.map((c) => make(c, opts.signingAlgs)), config };
}
