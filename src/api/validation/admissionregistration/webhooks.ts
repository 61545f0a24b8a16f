/** admissionregistration.k8s.io/v1 Validating/MutatingWebhookConfiguration validation. */
import type {
  MutatingWebhookConfiguration,
  RuleWithOperations,
  ValidatingWebhookConfiguration,
  WebhookClientConfig,
} from 'kubernetes-types/admissionregistration/v1.js';
import { duplicate, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Subdomain, isValidPortNum } from '../names.ts';

const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
/** On create upstream requires webhooks to be side-effect free (or safe under dry run). */
const SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];
const REINVOCATION = ['IfNeeded', 'Never'];

export function isFullyQualifiedName(p: Path, name: string): FieldError[] {
  if (!name) return [required(p)];
  const msgs = isDNS1123Subdomain(name);
  if (msgs.length) return [invalid(p, name, msgs.join(','))];
  if (name.split('.').length < 3) return [invalid(p, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

function validateResources(resources: readonly string[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const list = resources ?? [];
  if (list.length === 0) errs.push(required(p));
  const wildSub = new Set<string>();
  const wildRes = new Set<string>();
  let doubleWild = false;
  let singleWild = false;
  let plain = false;
  list.forEach((rs, i) => {
    if (rs === '') {
      errs.push(required(p.index(i)));
      return;
    }
    if (rs === '*/*') doubleWild = true;
    if (rs === '*') singleWild = true;
    const slash = rs.indexOf('/');
    if (slash < 0) {
      plain = rs !== '*';
      return;
    }
    const res = rs.slice(0, slash);
    const sub = rs.slice(slash + 1);
    if (wildSub.has(res)) errs.push(invalid(p.index(i), rs, `if '${res}/*' is present, must not specify ${rs}`));
    if (wildRes.has(sub)) errs.push(invalid(p.index(i), rs, `if '*/${sub}' is present, must not specify ${rs}`));
    if (sub === '*') wildSub.add(res);
    if (res === '*') wildRes.add(sub);
  });
  if (list.length > 1 && doubleWild) errs.push(invalid(p, list, "if '*/*' is present, must not specify other resources"));
  if (singleWild && plain) errs.push(invalid(p, list, "if '*' is present, must not specify other resources without subresources"));
  return errs;
}

/** kubernetes-types drops the fields RuleWithOperations inlines from Rule. */
export type FullRule = RuleWithOperations & { resources?: string[]; scope?: string };

export function validateRuleWithOperations(rule: FullRule, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const ops = rule.operations ?? [];
  if (ops.length === 0) errs.push(required(p.child('operations')));
  if (ops.length > 1 && ops.includes('*')) errs.push(invalid(p.child('operations'), ops, "if '*' is present, must not specify other operations"));
  ops.forEach((op, i) => {
    if (!OPERATIONS.includes(op)) errs.push(notSupported(p.child('operations').index(i), op, OPERATIONS));
  });
  const groups = rule.apiGroups ?? [];
  if (groups.length === 0) errs.push(required(p.child('apiGroups')));
  if (groups.length > 1 && groups.includes('*')) errs.push(invalid(p.child('apiGroups'), groups, "if '*' is present, must not specify other API groups"));
  const versions = rule.apiVersions ?? [];
  if (versions.length === 0) errs.push(required(p.child('apiVersions')));
  if (versions.length > 1 && versions.includes('*')) errs.push(invalid(p.child('apiVersions'), versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (!v) errs.push(required(p.child('apiVersions').index(i)));
  });
  errs.push(...validateResources(rule.resources, p.child('resources')));
  if (rule.scope !== undefined && !SCOPES.includes(rule.scope)) errs.push(notSupported(p.child('scope'), rule.scope, SCOPES));
  return errs;
}

function validateClientConfig(cc: WebhookClientConfig | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!cc || (cc.url === undefined) === (cc.service === undefined)) return [required(p, 'exactly one of url or service is required')];
  if (cc.url !== undefined) {
    const up = p.child('url');
    let u: URL | undefined;
    try {
      u = new URL(cc.url);
    } catch {
      return [invalid(up, cc.url, 'host must be specified')];
    }
    // Admission requests carry whole objects (secrets included); only TLS transport is acceptable.
    if (u.protocol !== 'https:') errs.push(invalid(up, cc.url, "'https' is the only allowed URL scheme"));
    if (!u.hostname) errs.push(invalid(up, cc.url, 'host must be specified'));
    if (u.username || u.password) errs.push(invalid(up, cc.url, 'user information is not permitted in the URL'));
    if (u.hash) errs.push(invalid(up, cc.url, 'fragments are not permitted in the URL'));
    if (u.search) errs.push(invalid(up, cc.url, 'query parameters are not permitted in the URL'));
  } else if (cc.service) {
    const sp = p.child('service');
    const s = cc.service;
    if (!s.name) errs.push(required(sp.child('name'), 'service name is required'));
    if (!s.namespace) errs.push(required(sp.child('namespace'), 'service namespace is required'));
    const port = s.port ?? 443;
    const pm = isValidPortNum(port);
    if (pm.length) errs.push(invalid(sp.child('port'), port, `port is not valid: ${pm.join(', ')}`));
    if (s.path !== undefined && s.path !== null && s.path !== '' && !s.path.startsWith('/')) {
      errs.push(invalid(sp.child('path'), s.path, "must start with a '/'"));
    }
  }
  return errs;
}

type Hook = ValidatingWebhookConfiguration['webhooks'] extends (infer H)[] | undefined ? H & { reinvocationPolicy?: string } : never;

function validateWebhook(hook: Hook, mutating: boolean, p: Path): FieldError[] {
  const errs = isFullyQualifiedName(p.child('name'), hook.name);
  (hook.rules ?? []).forEach((r, i) => errs.push(...validateRuleWithOperations(r, p.child('rules').index(i))));
  if (hook.failurePolicy !== undefined && !FAILURE_POLICIES.includes(hook.failurePolicy)) {
    errs.push(notSupported(p.child('failurePolicy'), hook.failurePolicy, FAILURE_POLICIES));
  }
  if (hook.matchPolicy !== undefined && !MATCH_POLICIES.includes(hook.matchPolicy)) {
    errs.push(notSupported(p.child('matchPolicy'), hook.matchPolicy, MATCH_POLICIES));
  }
  if (!hook.sideEffects) errs.push(required(p.child('sideEffects'), `must specify one of ${SIDE_EFFECTS.join(', ')}`));
  else if (!SIDE_EFFECTS.includes(hook.sideEffects)) errs.push(notSupported(p.child('sideEffects'), hook.sideEffects, SIDE_EFFECTS));
  const t = hook.timeoutSeconds;
  if (t !== undefined && t !== null && (t > 30 || t < 1)) errs.push(invalid(p.child('timeoutSeconds'), t, 'the timeout value must be between 1 and 30 seconds'));
  errs.push(...validateLabelSelector(hook.namespaceSelector, p.child('namespaceSelector')));
  errs.push(...validateLabelSelector(hook.objectSelector, p.child('objectSelector')));
  if (mutating && hook.reinvocationPolicy !== undefined && !REINVOCATION.includes(hook.reinvocationPolicy)) {
    errs.push(notSupported(p.child('reinvocationPolicy'), hook.reinvocationPolicy, REINVOCATION));
  }
  errs.push(...validateClientConfig(hook.clientConfig, p.child('clientConfig')));
  const vp = p.child('admissionReviewVersions');
  const versions = hook.admissionReviewVersions ?? [];
  if (versions.length === 0) errs.push(required(vp, `must specify one of ${REVIEW_VERSIONS.join(', ')}`));
  else if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) {
    errs.push(invalid(vp, versions, `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  }
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) errs.push(duplicate(vp.index(i), v));
    seen.add(v);
  });
  const names = new Set<string>();
  (hook.matchConditions ?? []).forEach((mc, i) => {
    const mp = p.child('matchConditions').index(i);
    if (!mc.name) errs.push(required(mp.child('name')));
    else if (names.has(mc.name)) errs.push(duplicate(mp.child('name'), mc.name));
    names.add(mc.name);
    if (!mc.expression) errs.push(required(mp.child('expression')));
  });
  return errs;
}

function validateConfig(cfg: ValidatingWebhookConfiguration | MutatingWebhookConfiguration, mutating: boolean): FieldError[] {
  const errs = validateObjectMeta(cfg.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const names = new Set<string>();
  ((cfg.webhooks ?? []) as Hook[]).forEach((h, i) => {
    const hp = path('webhooks').index(i);
    errs.push(...validateWebhook(h, mutating, hp));
    if (h.name) {
      if (names.has(h.name)) errs.push(duplicate(hp.child('name'), h.name));
      names.add(h.name);
    }
  });
  return errs;
}

export function validateValidatingWebhookConfiguration(cfg: ValidatingWebhookConfiguration): FieldError[] {
  return validateConfig(cfg, false);
}

export function validateMutatingWebhookConfiguration(cfg: MutatingWebhookConfiguration): FieldError[] {
  return validateConfig(cfg, true);
}

export function validateWebhookConfigurationUpdate(
  cfg: ValidatingWebhookConfiguration | MutatingWebhookConfiguration,
  old: ValidatingWebhookConfiguration | MutatingWebhookConfiguration,
  mutating: boolean,
): FieldError[] {
  const errs = validateObjectMetaUpdate(cfg.metadata, old.metadata);
  errs.push(...validateConfig(cfg, mutating).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}
