/**
 * upstream's AuthenticationConfiguration (apiserver.config.k8s.io v1beta1 / v1), the part this
 * module implements: the `jwt` authenticators. Field names are upstream's, so a file written for
 * kube-apiserver reads the same here.
 */

export interface PrefixedClaimOrExpression {
  claim?: string;
  /** Required with `claim` (may be ""); forbidden with `expression`. */
  prefix?: string;
  expression?: string;
}

export interface ClaimOrExpression {
  claim?: string;
  expression?: string;
}

export interface ExtraMapping {
  key: string;
  valueExpression: string;
}

export interface ClaimValidationRule {
  claim?: string;
  requiredValue?: string;
  expression?: string;
  message?: string;
}

export interface UserValidationRule {
  expression: string;
  message?: string;
}

export interface JwtIssuer {
  url: string;
  discoveryURL?: string;
  /** PEM; replaces the system roots for the discovery and JWKS requests. */
  certificateAuthority?: string;
  audiences: string[];
  audienceMatchPolicy?: 'MatchAny';
}

export interface JwtAuthenticatorConfig {
  issuer: JwtIssuer;
  claimValidationRules?: ClaimValidationRule[];
  claimMappings: {
    username: PrefixedClaimOrExpression;
    groups?: PrefixedClaimOrExpression;
    uid?: ClaimOrExpression;
    extra?: ExtraMapping[];
  };
  userValidationRules?: UserValidationRule[];
}

export interface AnonymousConfig {
  enabled: boolean;
  conditions?: { path: string }[];
}

export interface AuthenticationConfiguration {
  apiVersion: string;
  kind: 'AuthenticationConfiguration';
  jwt: JwtAuthenticatorConfig[];
  /** Parsed for shape only; the anonymous authenticator (not this module) acts on it. */
  anonymous?: AnonymousConfig;
}
