import type { Logger } from 'pino';
import { AnonymousAuthenticator } from './anonymous.ts';
import { BearerTokenAuthenticator, type TokenAuthenticator } from './bearer.ts';
import { RequestHeaderAuthenticator, type ProxyHeaderNames } from './request-header.ts';
import { TokenFileAuthenticator } from './token-file.ts';
import type { RequestAuthenticator } from './types.ts';
import { X509Authenticator } from './x509.ts';

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
  /** More bearer-token methods (service accounts, OIDC, webhook), tried in this order after the token file. */
  tokenAuthenticators?: TokenAuthenticator[];
}

/**
 * The authenticators in upstream's order: authenticating proxy, client certificates, bearer
 * tokens (a presented token nobody accepts is a 401), anonymous last. Bad configuration fails
 * here, at build time, never on a request.
 */
export function buildAuthenticators(cfg: AuthnConfig, now: () => Date, log: Logger): { members: RequestAuthenticator[]; trustedCaPems: string[] } {
  const members: RequestAuthenticator[] = [];
  const trusted = [cfg.clientCaPem];
  if (cfg.requestHeader) {
    members.push(new RequestHeaderAuthenticator({ ...cfg.requestHeader, now }));
    trusted.push(cfg.requestHeader.clientCaPem);
  }
  members.push(new X509Authenticator({ clientCaPem: cfg.clientCaPem, now }));
  const tokens: TokenAuthenticator[] = [];
  if (cfg.tokenAuthFile) tokens.push(new TokenFileAuthenticator({ path: cfg.tokenAuthFile, now, log }));
  tokens.push(...(cfg.tokenAuthenticators ?? []));
  members.push(new BearerTokenAuthenticator(tokens));
  if (cfg.anonymous) members.push(new AnonymousAuthenticator());
  return { members, trustedCaPems: trusted };
}
