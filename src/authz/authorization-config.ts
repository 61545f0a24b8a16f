/**
 * --authorization-config: a structured AuthorizationConfiguration (apiserver.config.k8s.io
 * v1 / v1beta1 / v1alpha1), validated as upstream's ValidateAuthorizationConfiguration with its
 * messages, and turned into the authorization modes and their settings the flags would give.
 * Portcullis adds the type Casbin with a `casbin` block (model, policy, policyConfigMap).
 * Accepted by upstream but not served here, and refused by name rather than ignored: a second
 * Webhook, failurePolicy NoOpinion, matchConditions, subjectAccessReviewVersion v1beta1,
 * connectionInfo InClusterConfig, cacheAuthorizedRequests / cacheUnauthorizedRequests false.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { aggregateMessage, duplicate, forbidden, invalid, notSupported, required, type FieldError } from '../api/validation/field-errors.ts';
import { isDNS1123Subdomain } from '../api/validation/names.ts';
import { parseDurationMs } from '../util/duration.ts';
import type { AuthorizationMode } from './modes.ts';
import type { CasbinModeConfig } from './casbin/setup.ts';

export const AUTHORIZATION_CONFIG_VERSIONS = ['apiserver.config.k8s.io/v1', 'apiserver.config.k8s.io/v1beta1', 'apiserver.config.k8s.io/v1alpha1'] as const;
const KNOWN_TYPES = ['ABAC', 'AlwaysAllow', 'AlwaysDeny', 'Casbin', 'Node', 'RBAC', 'Webhook'];
/** Upstream lets Webhook repeat; Portcullis serves one of each (refused below with a reason). */
const REPEATABLE = new Set(['Webhook']);

export interface AuthorizationSettings {
  modes: AuthorizationMode[];
  webhook?: { configFile: string; authorizedTtlMs: number; unauthorizedTtlMs: number; timeoutMs: number };
  casbin?: Partial<CasbinModeConfig>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function loadAuthorizationConfig(path: string): AuthorizationSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`--authorization-config ${path}: ${(err as Error).message}`);
  }
  return parseAuthorizationConfig(text, path);
}

export function parseAuthorizationConfig(text: string, source: string): AuthorizationSettings {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message.split('\n')[0]}`);
  }
  const errs: FieldError[] = [];
  const settings: AuthorizationSettings = { modes: [] };
  if (!isObj(doc)) throw new Error(`${source}: not an AuthorizationConfiguration object`);
  if (!(AUTHORIZATION_CONFIG_VERSIONS as readonly string[]).includes(String(doc.apiVersion ?? ''))) errs.push(notSupported('apiVersion', doc.apiVersion ?? '', AUTHORIZATION_CONFIG_VERSIONS));
  if (doc.kind !== 'AuthorizationConfiguration') errs.push(notSupported('kind', doc.kind ?? '', ['AuthorizationConfiguration']));
  for (const k of Object.keys(doc)) if (!['apiVersion', 'kind', 'authorizers'].includes(k)) errs.push(forbidden(k, 'unknown field'));
  const authorizers = Array.isArray(doc.authorizers) ? doc.authorizers : [];
  if (authorizers.length === 0) errs.push(required('authorizers', 'at least one authorization mode must be defined'));
  const seenTypes = new Set<string>();
  const seenNames = new Set<string>();
  authorizers.forEach((a: unknown, i: number) => {
    const at = `authorizers[${i}]`;
    if (!isObj(a)) return errs.push(invalid(at, a, 'must be an object'));
    const type = typeof a.type === 'string' ? a.type : '';
    if (!type) return errs.push(required(`${at}.type`));
    if (!KNOWN_TYPES.includes(type)) return errs.push(notSupported(`${at}.type`, type, KNOWN_TYPES));
    if (seenTypes.has(type) && !REPEATABLE.has(type)) return errs.push(duplicate(`${at}.type`, type));
    if (seenTypes.has(type)) return errs.push(forbidden(`${at}.type`, `Portcullis serves one ${type} authorizer`));
    seenTypes.add(type);
    const name = typeof a.name === 'string' ? a.name : '';
    if (!name) errs.push(required(`${at}.name`));
    else if (seenNames.has(name)) errs.push(duplicate(`${at}.name`, name));
    else if (isDNS1123Subdomain(name).length) errs.push(invalid(`${at}.name`, name, `authorizer name is invalid: ${isDNS1123Subdomain(name).join(', ')}`));
    seenNames.add(name);
    for (const k of Object.keys(a)) if (!['type', 'name', 'webhook', 'casbin'].includes(k)) errs.push(forbidden(`${at}.${k}`, 'unknown field'));
    if (type === 'Webhook') {
      if (a.webhook == null) return errs.push(required(`${at}.webhook`, 'required when type=Webhook'));
      settings.webhook = readWebhook(a.webhook, `${at}.webhook`, errs);
    } else if (a.webhook != null) errs.push(invalid(`${at}.webhook`, 'non-null', 'may only be specified when type=Webhook'));
    if (type === 'Casbin') {
      if (!isObj(a.casbin)) return errs.push(required(`${at}.casbin`, 'required when type=Casbin'));
      const c = a.casbin;
      for (const k of Object.keys(c)) if (!['model', 'policy', 'policyConfigMap'].includes(k)) errs.push(forbidden(`${at}.casbin.${k}`, 'unknown field'));
      if (typeof c.model !== 'string' || !c.model) errs.push(required(`${at}.casbin.model`));
      settings.casbin = { model: String(c.model ?? ''), policyFile: typeof c.policy === 'string' ? c.policy : undefined, policyConfigMap: typeof c.policyConfigMap === 'string' ? c.policyConfigMap : undefined };
    } else if (a.casbin != null) errs.push(invalid(`${at}.casbin`, 'non-null', 'may only be specified when type=Casbin'));
    settings.modes.push(type as AuthorizationMode);
  });
  if (errs.length) throw new Error(`${source}: ${aggregateMessage(errs)}`);
  return settings;
}

function readWebhook(w: unknown, at: string, errs: FieldError[]): AuthorizationSettings['webhook'] {
  if (!isObj(w)) {
    errs.push(invalid(at, w, 'must be an object'));
    return undefined;
  }
  const duration = (key: string, max?: number): number => {
    const v = w[key];
    if (v === undefined || v === '' || v === '0s' || v === '0') {
      errs.push(required(`${at}.${key}`));
      return 0;
    }
    let ms = NaN;
    try {
      ms = parseDurationMs(String(v));
    } catch {
      // reported below
    }
    if (!(ms > 0) || (max !== undefined && ms > max)) errs.push(invalid(`${at}.${key}`, String(v), max !== undefined ? 'must be > 0s and <= 30s' : 'must be > 0s'));
    return ms;
  };
  const timeoutMs = duration('timeout', 30_000);
  const authorizedTtlMs = duration('authorizedTTL');
  const unauthorizedTtlMs = duration('unauthorizedTTL');
  const sarv = w.subjectAccessReviewVersion;
  if (!sarv) errs.push(required(`${at}.subjectAccessReviewVersion`));
  else if (sarv === 'v1beta1') errs.push(forbidden(`${at}.subjectAccessReviewVersion`, 'Portcullis sends v1 SubjectAccessReviews only'));
  else if (sarv !== 'v1') errs.push(notSupported(`${at}.subjectAccessReviewVersion`, sarv, ['v1', 'v1beta1']));
  if (w.failurePolicy === undefined || w.failurePolicy === '') errs.push(required(`${at}.failurePolicy`));
  else if (w.failurePolicy === 'NoOpinion') errs.push(forbidden(`${at}.failurePolicy`, 'Portcullis fails closed: a failing webhook denies (use Deny)'));
  else if (w.failurePolicy !== 'Deny') errs.push(notSupported(`${at}.failurePolicy`, w.failurePolicy, ['NoOpinion', 'Deny']));
  if (Array.isArray(w.matchConditions) && w.matchConditions.length) errs.push(forbidden(`${at}.matchConditions`, 'not supported by Portcullis yet'));
  for (const k of ['cacheAuthorizedRequests', 'cacheUnauthorizedRequests']) if (w[k] === false) errs.push(forbidden(`${at}.${k}`, 'not supported by Portcullis yet'));
  const ci = isObj(w.connectionInfo) ? w.connectionInfo : {};
  const file = typeof ci.kubeConfigFile === 'string' ? ci.kubeConfigFile : '';
  if (!ci.type) errs.push(required(`${at}.connectionInfo.type`));
  else if (ci.type === 'InClusterConfig') errs.push(forbidden(`${at}.connectionInfo.type`, 'InClusterConfig is not supported by Portcullis; use KubeConfigFile'));
  else if (ci.type !== 'KubeConfigFile') errs.push(notSupported(`${at}.connectionInfo.type`, ci.type, ['InClusterConfig', 'KubeConfigFile']));
  else if (!file) errs.push(required(`${at}.connectionInfo.kubeConfigFile`));
  else if (!isAbsolute(file)) errs.push(invalid(`${at}.connectionInfo.kubeConfigFile`, file, 'must be an absolute path'));
  return { configFile: file, authorizedTtlMs, unauthorizedTtlMs, timeoutMs };
}
