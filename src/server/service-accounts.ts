import type { Logger } from 'pino';
import { ServiceAccountTokenAuthenticator } from '../authn/service-account/authenticator.ts';
import { buildOidcDiscovery, type OidcDiscovery } from '../authn/service-account/discovery.ts';
import { generateServiceAccountKey, loadServiceAccountKeys } from '../authn/service-account/keys.ts';
import { tokenRequestHandler, type TokenRequestHandler } from '../authn/service-account/token-request.ts';
import type { Store } from '../storage/types.ts';

/** Service-account token flags of `portcullis up`, as kube-apiserver names them. */
export interface ServiceAccountFlags {
  /** --service-account-issuer (the first issues; all are accepted). */
  issuers?: string[];
  /** --service-account-signing-key-file; default a generated <data-dir>/pki/sa.key. */
  signingKeyFile?: string;
  /** --service-account-key-file (verification keys, for rotation). */
  keyFiles?: string[];
  /** --api-audiences */
  apiAudiences?: string[];
  /** --service-account-max-token-expiration, seconds. */
  maxExpirationSeconds?: number;
  /** --service-account-jwks-uri */
  jwksUri?: string;
}

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Keys, the token authenticator, the TokenRequest handler and the issuer's discovery documents. */
export function serviceAccountTokens(dataDir: string, flags: ServiceAccountFlags, store: Store, now: () => Date) {
  const signingKeyFile = flags.signingKeyFile ?? generateServiceAccountKey(dataDir);
  const keys = loadServiceAccountKeys({ signingKeyFile, keyFiles: flags.keyFiles });
  const issuers = flags.issuers?.length ? flags.issuers : [DEFAULT_ISSUER];
  const audiences = flags.apiAudiences?.length ? flags.apiAudiences : [issuers[0]!];
  const get = (k: string) => store.get(k);
  const getNow = store.getNow ? (k: string) => store.getNow!(k) : undefined;
  const authenticator = new ServiceAccountTokenAuthenticator({ issuers, keys: keys.verification, apiAudiences: audiences, get, getNow, now });
  const tokenRequest: TokenRequestHandler = tokenRequestHandler({ get, now, issuer: issuers[0]!, key: keys.signing, audiences, maxExpirationSeconds: flags.maxExpirationSeconds });
  const discovery = async (externalAddress: string, log: Logger): Promise<OidcDiscovery | undefined> => {
    try {
      return await buildOidcDiscovery({ issuer: issuers[0]!, keys: keys.verification, jwksUri: flags.jwksUri, externalAddress });
    } catch (err) {
      // As upstream: no discovery documents for an issuer that cannot have them (e.g. not https).
      log.warn({ err }, 'service account issuer discovery disabled');
      return undefined;
    }
  };
  return { authenticator, tokenRequest, discovery, issuers, audiences };
}
