/**
 * Semantic checks for one `jwt` authenticator, upstream's validateJWTAuthenticator, plus CEL
 * compilation: everything that can be wrong with the configuration is found here, at load time,
 * and reported by field path. The result is what the authenticator runs on each request.
 */
import { X509Certificate } from 'node:crypto';
import type { JwtAuthenticatorConfig, PrefixedClaimOrExpression } from './jwt-config.ts';
import { compileClaimMapping, compileClaimValidation, compileUserValidation, selectsClaim, type CompiledExpression, type CompileResult } from './cel-compile.ts';
import { duplicate, invalid, required, type FieldError } from './field-errors.ts';

export type Mapping = { kind: 'claim'; claim: string; prefix: string } | { kind: 'cel'; cel: CompiledExpression };

export interface CompiledJwt {
  config: JwtAuthenticatorConfig;
  /** claimValidationRules with claim/requiredValue (upstream's requiredClaims), in file order. */
  requiredClaims: { claim: string; value: string }[];
  claimRules: { cel: CompiledExpression; message: string }[];
  username: Mapping;
  groups?: Mapping;
  uid?: { kind: 'claim'; claim: string } | { kind: 'cel'; cel: CompiledExpression };
  extra: { key: string; cel: CompiledExpression }[];
  userRules: { cel: CompiledExpression; message: string }[];
}

function validateURL(url: string, path: string, disallowed: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (disallowed.includes(url)) errs.push(invalid(path, url, `URL must not overlap with disallowed issuers: [${[...disallowed].sort().join(' ')}]`));
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [...errs, invalid(path, url, 'invalid URL')];
  }
  // https only: the keys fetched from here decide who may log in.
  if (u.protocol !== 'https:') errs.push(invalid(path, url, 'URL scheme must be https'));
  if (u.username || u.password) errs.push(invalid(path, url, 'URL must not contain a username or password'));
  if (u.search) errs.push(invalid(path, url, 'URL must not contain a query'));
  if (u.hash || url.includes('#')) errs.push(invalid(path, url, 'URL must not contain a fragment'));
  return errs;
}

function validateCA(pem: string, path: string): FieldError[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return [invalid(path, '<omitted>', 'data does not contain any valid RSA or ECDSA certificates')];
  try {
    for (const b of blocks) new X509Certificate(b);
  } catch (err) {
    return [invalid(path, '<omitted>', (err as Error).message)];
  }
  return [];
}

export function validateJwt(a: JwtAuthenticatorConfig, path: string, disallowedIssuers: readonly string[] = []): { compiled?: CompiledJwt; errors: FieldError[] } {
  const errs: FieldError[] = [];
  const ip = `${path}.issuer`;
  const cel = (r: CompileResult, p: string, expr: string): CompiledExpression | undefined => {
    if (r.ok) return r.compiled;
    errs.push(expr.trim() === '' ? required(p, '') : invalid(p, expr, r.detail));
    return undefined;
  };

  // issuer
  if (!a.issuer.url) errs.push(required(`${ip}.url`));
  else errs.push(...validateURL(a.issuer.url, `${ip}.url`, disallowedIssuers));
  if (a.issuer.discoveryURL) {
    if (a.issuer.url && a.issuer.url.replace(/\/+$/, '') === a.issuer.discoveryURL.replace(/\/+$/, '')) {
      errs.push(invalid(`${ip}.discoveryURL`, a.issuer.discoveryURL, 'discoveryURL must be different from URL'));
    }
    errs.push(...validateURL(a.issuer.discoveryURL, `${ip}.discoveryURL`, []));
  }
  const auds = a.issuer.audiences;
  if (auds.length === 0) errs.push(required(`${ip}.audiences`, `at least one ${ip}.audiences is required`));
  auds.forEach((aud, i) => {
    if (aud === '') errs.push(required(`${ip}.audiences[${i}]`));
    if (auds.indexOf(aud) !== i) errs.push(duplicate(`${ip}.audiences[${i}]`, aud));
  });
  const policy = a.issuer.audienceMatchPolicy;
  if (auds.length > 1 && policy !== 'MatchAny') errs.push(invalid(`${ip}.audienceMatchPolicy`, policy ?? '', 'audienceMatchPolicy must be MatchAny for multiple audiences'));
  if (auds.length === 1 && policy && policy !== 'MatchAny') errs.push(invalid(`${ip}.audienceMatchPolicy`, policy, 'audienceMatchPolicy must be empty or MatchAny for single audience'));
  if (a.issuer.certificateAuthority) errs.push(...validateCA(a.issuer.certificateAuthority, `${ip}.certificateAuthority`));

  // claimValidationRules
  const requiredClaims: CompiledJwt['requiredClaims'] = [];
  const claimRules: CompiledJwt['claimRules'] = [];
  (a.claimValidationRules ?? []).forEach((rule, i) => {
    const p = `${path}.claimValidationRules[${i}]`;
    if (rule.claim && rule.expression) errs.push(invalid(p, rule.claim, "claim and expression can't both be set"));
    else if (!rule.claim && !rule.expression) errs.push(required(p, 'claim or expression is required'));
    else if (rule.claim) {
      if (rule.message) errs.push(invalid(`${p}.message`, rule.message, 'may not be specified when claim is set'));
      if (requiredClaims.some((c) => c.claim === rule.claim)) errs.push(duplicate(`${p}.claim`, rule.claim));
      else requiredClaims.push({ claim: rule.claim, value: rule.requiredValue ?? '' });
    } else if (rule.expression) {
      if (rule.requiredValue) errs.push(invalid(`${p}.requiredValue`, rule.requiredValue, 'may not be specified when expression is set'));
      if (claimRules.some((c) => c.cel.expression === rule.expression)) errs.push(duplicate(`${p}.expression`, rule.expression));
      else {
        const c = cel(compileClaimValidation(rule.expression), `${p}.expression`, rule.expression);
        if (c) claimRules.push({ cel: c, message: rule.message ?? '' });
      }
    }
  });

  // claimMappings
  const mp = `${path}.claimMappings`;
  const mapping = (m: PrefixedClaimOrExpression | undefined, p: string, req: boolean): Mapping | undefined => {
    if (m?.claim && m.expression) errs.push(invalid(p, '', "claim and expression can't both be set"));
    else if (m?.expression) {
      if (m.prefix !== undefined) errs.push(invalid(`${p}.prefix`, m.prefix, 'may not be specified when expression is set'));
      const c = cel(compileClaimMapping(m.expression), `${p}.expression`, m.expression);
      return c && { kind: 'cel', cel: c };
    } else if (m?.claim) {
      if (m.prefix === undefined) errs.push(required(`${p}.prefix`, 'prefix is required when claim is set. It can be set to an empty string to disable prefixing'));
      return { kind: 'claim', claim: m.claim, prefix: m.prefix ?? '' };
    } else if (req) errs.push(required(p, 'claim or expression is required'));
    return undefined;
  };
  const username = mapping(a.claimMappings.username, `${mp}.username`, true);
  const groups = mapping(a.claimMappings.groups, `${mp}.groups`, false);
  let uid: CompiledJwt['uid'];
  const u = a.claimMappings.uid;
  if (u?.claim && u.expression) errs.push(invalid(`${mp}.uid`, '', "claim and expression can't both be set"));
  else if (u?.expression) {
    const c = cel(compileClaimMapping(u.expression), `${mp}.uid.expression`, u.expression);
    if (c) uid = { kind: 'cel', cel: c };
  } else if (u?.claim) uid = { kind: 'claim', claim: u.claim };

  const extra: CompiledJwt['extra'] = [];
  (a.claimMappings.extra ?? []).forEach((m, i) => {
    const p = `${mp}.extra[${i}]`;
    errs.push(...validateExtraKey(m.key, `${p}.key`));
    if (extra.some((e) => e.key === m.key)) {
      errs.push(duplicate(`${p}.key`, m.key));
      return;
    }
    if (!m.valueExpression) {
      errs.push(required(`${p}.valueExpression`));
      return;
    }
    const c = cel(compileClaimMapping(m.valueExpression), `${p}.valueExpression`, m.valueExpression);
    if (c) extra.push({ key: m.key, cel: c });
  });

  // An email address is only an identity once the issuer says it verified it.
  const usesEmail = username?.kind === 'cel' && selectsClaim(username.cel.ast, 'email');
  const checksVerified = [username?.kind === 'cel' ? username.cel : undefined, ...extra.map((e) => e.cel), ...claimRules.map((r) => r.cel)]
    .some((c) => c !== undefined && selectsClaim(c.ast, 'email_verified'));
  if (usesEmail && !checksVerified) {
    errs.push(invalid(`${mp}.username.expression`, a.claimMappings.username.expression, 'claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression'));
  }

  // userValidationRules
  const userRules: CompiledJwt['userRules'] = [];
  (a.userValidationRules ?? []).forEach((rule, i) => {
    const p = `${path}.userValidationRules[${i}].expression`;
    if (!rule.expression) return void errs.push(required(p));
    if (userRules.some((r) => r.cel.expression === rule.expression)) return void errs.push(duplicate(p, rule.expression));
    const c = cel(compileUserValidation(rule.expression), p, rule.expression);
    if (c) userRules.push({ cel: c, message: rule.message ?? '' });
  });

  if (errs.length > 0 || !username) return { errors: errs };
  return { errors: [], compiled: { config: a, requiredClaims, claimRules, username, groups, uid, extra, userRules } };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Extra keys are namespaced "example.org/name"; Kubernetes' own domains are reserved. */
function validateExtraKey(key: string, path: string): FieldError[] {
  if (!key) return [required(path)];
  const errs: FieldError[] = [];
  const slash = key.indexOf('/');
  const domain = slash > 0 ? key.slice(0, slash) : '';
  if (slash <= 0 || slash === key.length - 1 || !DNS1123_SUBDOMAIN.test(domain)) {
    errs.push(invalid(path, key, 'must be a domain-prefixed path (such as "acme.io/foo")'));
  }
  if (key !== key.toLowerCase()) errs.push(invalid(path, key, 'must be lowercase'));
  if (/^(.*\.)?(kubernetes\.io|k8s\.io)$/.test(domain)) {
    errs.push(invalid(path, key, 'k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use'));
  }
  return errs;
}
