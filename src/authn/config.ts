import type { Logger } from 'pino';
import { AnonymousAuthenticator } from './anonymous.ts';
import { BearerTokenAuthenticator, type TokenAuthenticator } from './bearer.ts';
import { RequestHeaderAuthenticator, type ProxyHeaderNames } from './request-header.ts';
import { TokenFileAuthenticator } from './token-file.ts';
import type { RequestAuthenticator } from './types.ts';
import { X509Authenticator } from './x509.ts';
import { BootstrapTokenAuthenticator } from './bootstrap-token.ts';
import { PasswordFileAuthenticator } from './password-file.ts';
import { WebhookTokenAuthenticator } from './webhook-token.ts';
import type { ObjectGetterNow } from './live-reads.ts';

/** Authentication configuration, named after kube-apiserver's flags. */
export interface AuthnConfig {
  /** --client-ca-file contents. */
  clientCaPem: string;
  /** --token-auth-file */
  tokenAuthFile?: string;
  /** --anonymous-auth (off unless asked for). */
  anonymous?: boolean;
  /** --requestheader-client-ca-file contents and the other --requestheader-* flags. */
  requestHeader?: Partial<ProxyHeaderNames> & { clientCaPem: string; allowedNames?: string[] };
  /** More bearer-token methods (service accounts, OIDC), tried in this order after the token file. */
  tokenAuthenticators?: TokenAuthenticator[];
  /** --enable-bootstrap-token-auth (needs `get`, the store's read). */
  enableBootstrapTokenAuth?: boolean;
  /** --authentication-token-webhook-config-file, --authentication-token-webhook-cache-ttl (ms), --authentication-token-webhook-version */
  webhookTokenConfigFile?: string;
  webhookTokenCacheTtlMs?: number;
  webhookTokenVersion?: 'v1' | 'v1beta1';
  /** --basic-auth-file (hashed passwords only; deprecated upstream). */
  basicAuthFile?: string;
}

/**
 * The authenticators in upstream's order: authenticating proxy, client certificates, bearer
 * tokens (a presented token nobody accepts is a 401), anonymous last. Bad configuration fails
 * here, at build time, never on a request.
 */
export function buildAuthenticators(
  cfg: AuthnConfig,
  now: () => Date,
  log: Logger,
  get: (key: string) => Promise<{ value: unknown } | undefined>,
  getNow?: ObjectGetterNow,
): { members: RequestAuthenticator[]; trustedCaPems: string[]; bearer: BearerTokenAuthenticator } {
  const members: RequestAuthenticator[] = [];
  const trusted = [cfg.clientCaPem];
  if (cfg.requestHeader) {
    members.push(new RequestHeaderAuthenticator({ ...cfg.requestHeader, now }));
    trusted.push(cfg.requestHeader.clientCaPem);
  }
  if (cfg.basicAuthFile) members.push(new PasswordFileAuthenticator({ path: cfg.basicAuthFile, now, log }));
  members.push(new X509Authenticator({ clientCaPem: cfg.clientCaPem, now }));
  const tokens: TokenAuthenticator[] = [];
  if (cfg.tokenAuthFile) tokens.push(new TokenFileAuthenticator({ path: cfg.tokenAuthFile, now, log }));
  tokens.push(...(cfg.tokenAuthenticators ?? []));
  if (cfg.enableBootstrapTokenAuth) tokens.push(new BootstrapTokenAuthenticator({ get, getNow, now, log }));
  // The webhook answers "no" rather than "not mine", so it is asked last.
  if (cfg.webhookTokenConfigFile) {
    tokens.push(new WebhookTokenAuthenticator({ configFile: cfg.webhookTokenConfigFile, cacheTtlMs: cfg.webhookTokenCacheTtlMs, version: cfg.webhookTokenVersion, now }));
  }
  const bearer = new BearerTokenAuthenticator(tokens);
  members.push(bearer);
  if (cfg.anonymous) members.push(new AnonymousAuthenticator());
  return { members, trustedCaPems: trusted, bearer };
}
