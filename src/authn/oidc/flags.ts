/**
 * kube-apiserver's --oidc-* flags, turned into the one-issuer structured form the way upstream's
 * ToAuthenticationConfig does, so both configuration styles run the same code.
 */
import { readFileSync } from 'node:fs';
import type { JwtAuthenticatorConfig } from './jwt-config.ts';
import { OidcConfigError, invalid, required, type FieldError } from './field-errors.ts';
import { SUPPORTED_SIGNING_ALGS } from './jwt-authenticator.ts';

export interface OidcFlags {
  /** --oidc-issuer-url */
  issuerUrl: string;
  /** --oidc-client-id: the audience the token must carry. */
  clientId: string;
  /** --oidc-username-claim, default "sub". */
  usernameClaim?: string;
  /** --oidc-username-prefix; default <issuer>"#" unless the claim is email; "-" means none. */
  usernamePrefix?: string;
  /** --oidc-groups-claim */
  groupsClaim?: string;
  /** --oidc-groups-prefix */
  groupsPrefix?: string;
  /** --oidc-required-claim, repeatable, each "key=value" (or "k1=v1,k2=v2"). */
  requiredClaims?: readonly string[];
  /** --oidc-signing-algs, default ["RS256"]. */
  signingAlgs?: readonly string[];
  /** --oidc-ca-file: PEM bundle replacing the system roots for the provider. */
  caFile?: string;
}

function parseRequiredClaims(values: readonly string[], errs: FieldError[]): { claim: string; requiredValue: string }[] {
  const out = new Map<string, string>();
  for (const v of values) {
    for (const pair of v.split(',')) {
      if (pair.trim() === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        errs.push(invalid('--oidc-required-claim', pair, 'must be formatted as key=value'));
        continue;
      }
      out.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  return [...out].map(([claim, requiredValue]) => ({ claim, requiredValue }));
}

/** The flags as one `jwt` authenticator plus the allowed algorithms; throws OidcConfigError naming the flag. */
export function jwtFromFlags(f: OidcFlags, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): { jwt: JwtAuthenticatorConfig; signingAlgs: string[] } {
  const errs: FieldError[] = [];
  if (!f.issuerUrl || !f.clientId) errs.push(required(f.issuerUrl ? '--oidc-client-id' : '--oidc-issuer-url', 'oidc-issuer-url and oidc-client-id must be specified together'));
  const usernameClaim = f.usernameClaim || 'sub';
  let usernamePrefix = f.usernamePrefix ?? '';
  // Upstream's legacy rule: names from claims other than email are namespaced by the issuer.
  if (usernamePrefix === '' && usernameClaim !== 'email') usernamePrefix = `${f.issuerUrl}#`;
  if (f.usernamePrefix === '-') usernamePrefix = '';
  const signingAlgs = [...(f.signingAlgs?.length ? f.signingAlgs : ['RS256'])];
  for (const a of signingAlgs) {
    if (!(SUPPORTED_SIGNING_ALGS as readonly string[]).includes(a)) {
      errs.push({ path: '--oidc-signing-algs', type: 'Unsupported value', value: a, detail: `supported values: ${SUPPORTED_SIGNING_ALGS.map((x) => JSON.stringify(x)).join(', ')}` });
    }
  }
  const claimValidationRules = parseRequiredClaims(f.requiredClaims ?? [], errs);
  let certificateAuthority: string | undefined;
  if (f.caFile) {
    try {
      certificateAuthority = readFile(f.caFile);
    } catch (err) {
      errs.push(invalid('--oidc-ca-file', f.caFile, (err as Error).message));
    }
  }
  if (errs.length > 0) throw new OidcConfigError(errs, 'oidc flags');
  return {
    signingAlgs,
    jwt: {
      issuer: { url: f.issuerUrl, audiences: [f.clientId], ...(certificateAuthority ? { certificateAuthority } : {}) },
      claimValidationRules,
      claimMappings: {
        username: { claim: usernameClaim, prefix: usernamePrefix },
        ...(f.groupsClaim ? { groups: { claim: f.groupsClaim, prefix: f.groupsPrefix ?? '' } } : {}),
      },
    },
  };
}
