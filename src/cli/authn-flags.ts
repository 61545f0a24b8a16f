import { readFileSync } from 'node:fs';
import type { AuthnConfig } from '../authn/config.ts';
import type { ServiceAccountFlags } from '../server/service-accounts.ts';
import type { OidcFlags } from '../authn/oidc/flags.ts';
import { boolFlag, durationFlag, flag, type ParsedArgs } from './args.ts';

/** Authentication flags of `portcullis up`, named as kube-apiserver's. */
export const AUTHN_FLAGS = [
  'client-ca-file',
  'token-auth-file',
  'requestheader-client-ca-file',
  'requestheader-allowed-names',
  'requestheader-username-headers',
  'requestheader-uid-headers',
  'requestheader-group-headers',
  'requestheader-extra-headers-prefix',
  'oidc-issuer-url',
  'oidc-client-id',
  'oidc-username-claim',
  'oidc-username-prefix',
  'oidc-groups-claim',
  'oidc-groups-prefix',
  'oidc-required-claim',
  'oidc-signing-algs',
  'oidc-ca-file',
  'authentication-config',
  'authentication-token-webhook-config-file',
  'authentication-token-webhook-cache-ttl',
  'authentication-token-webhook-version',
  'basic-auth-file',
];

/** Authentication flags that are true or false. */
export const AUTHN_BOOLEAN_FLAGS = ['anonymous-auth', 'enable-bootstrap-token-auth'];

function list(args: ParsedArgs, name: string): string[] | undefined {
  const v = args.flags.get(name);
  if (!v) return undefined;
  return v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${what}: cannot read ${path}: ${(err as Error).message}`);
  }
}

export function authnFromFlags(args: ParsedArgs): Omit<AuthnConfig, 'clientCaPem'> & { clientCaPem?: string } {
  const out: Omit<AuthnConfig, 'clientCaPem'> & { clientCaPem?: string } = {};
  const ca = flag(args, 'client-ca-file', '');
  if (ca) out.clientCaPem = readPem(ca, '--client-ca-file');
  const tokens = flag(args, 'token-auth-file', '');
  if (tokens) out.tokenAuthFile = tokens;
  // Off unless asked for (kube-apiserver defaults it on; a security-first server does not).
  out.anonymous = boolFlag(args, 'anonymous-auth', false);
  const webhook = flag(args, 'authentication-token-webhook-config-file', '');
  if (webhook) {
    out.webhookTokenConfigFile = webhook;
    out.webhookTokenCacheTtlMs = durationFlag(args, 'authentication-token-webhook-cache-ttl', '2m');
    const v = flag(args, 'authentication-token-webhook-version', 'v1');
    if (v !== 'v1' && v !== 'v1beta1') throw new Error(`--authentication-token-webhook-version must be v1 or v1beta1, not ${JSON.stringify(v)}`);
    out.webhookTokenVersion = v;
  }
  out.enableBootstrapTokenAuth = boolFlag(args, 'enable-bootstrap-token-auth', false);
  const basic = flag(args, 'basic-auth-file', '');
  if (basic) out.basicAuthFile = basic;
  const rhCa = flag(args, 'requestheader-client-ca-file', '');
  if (rhCa) {
    out.requestHeader = { clientCaPem: readPem(rhCa, '--requestheader-client-ca-file') };
    const allowed = list(args, 'requestheader-allowed-names');
    if (allowed) out.requestHeader.allowedNames = allowed;
    const u = list(args, 'requestheader-username-headers');
    if (u) out.requestHeader.usernameHeaders = u;
    const uid = list(args, 'requestheader-uid-headers');
    if (uid) out.requestHeader.uidHeaders = uid;
    const g = list(args, 'requestheader-group-headers');
    if (g) out.requestHeader.groupHeaders = g;
    const e = list(args, 'requestheader-extra-headers-prefix');
    if (e) out.requestHeader.extraHeaderPrefixes = e;
  } else {
    for (const f of AUTHN_FLAGS.filter((x) => x.startsWith('requestheader-') && x !== 'requestheader-client-ca-file')) {
      if (args.flags.has(f)) throw new Error(`--${f} needs --requestheader-client-ca-file`);
    }
  }
  return out;
}

export const SERVICE_ACCOUNT_FLAGS = [
  'service-account-issuer',
  'service-account-signing-key-file',
  'service-account-key-file',
  'api-audiences',
  'service-account-max-token-expiration',
  'service-account-jwks-uri',
];

export function serviceAccountsFromFlags(args: ParsedArgs): ServiceAccountFlags {
  const out: ServiceAccountFlags = {};
  const issuers = args.flags.get('service-account-issuer');
  if (issuers) out.issuers = issuers;
  const key = flag(args, 'service-account-signing-key-file', '');
  if (key) out.signingKeyFile = key;
  const keys = args.flags.get('service-account-key-file');
  if (keys) out.keyFiles = keys;
  const aud = list(args, 'api-audiences');
  if (aud) out.apiAudiences = aud;
  // Whole seconds, as upstream's int64(d.Seconds()).
  if (args.flags.has('service-account-max-token-expiration')) out.maxExpirationSeconds = Math.trunc(durationFlag(args, 'service-account-max-token-expiration', '0') / 1000);
  const jwks = flag(args, 'service-account-jwks-uri', '');
  if (jwks) out.jwksUri = jwks;
  return out;
}

/** --oidc-* flags, or the path of an --authentication-config file (they exclude each other). */
export function oidcFromFlags(args: ParsedArgs): { flags?: OidcFlags; authenticationConfigFile?: string } {
  const out: { flags?: OidcFlags; authenticationConfigFile?: string } = {};
  const file = flag(args, 'authentication-config', '');
  if (file) out.authenticationConfigFile = file;
  const issuer = flag(args, 'oidc-issuer-url', '');
  const client = flag(args, 'oidc-client-id', '');
  if (!issuer && !client) {
    for (const f of AUTHN_FLAGS.filter((x) => x.startsWith('oidc-'))) if (args.flags.has(f)) throw new Error(`--${f} needs --oidc-issuer-url and --oidc-client-id`);
    return out;
  }
  const f: OidcFlags = { issuerUrl: issuer, clientId: client };
  const opt = (name: string) => flag(args, name, '') || undefined;
  const set = <K extends keyof OidcFlags>(k: K, v: OidcFlags[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('usernameClaim', opt('oidc-username-claim'));
  set('usernamePrefix', opt('oidc-username-prefix'));
  set('groupsClaim', opt('oidc-groups-claim'));
  set('groupsPrefix', opt('oidc-groups-prefix'));
  set('requiredClaims', args.flags.get('oidc-required-claim'));
  set('signingAlgs', list(args, 'oidc-signing-algs'));
  set('caFile', opt('oidc-ca-file'));
  out.flags = f;
  return out;
}
