/** networking.k8s.io/v1 IngressClass validation (pkg/apis/networking/validation). */
import { forbidden, invalid, notSupported, path, required, tooLong, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Label, isDNS1123Subdomain, regexError } from '../names.ts';

type Obj = Record<string, any>;

const MAX_LEN_CONTROLLER = 250;
const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH_RE = new RegExp(`^${HTTP_PATH_FMT}$`);

/** validation.IsDomainPrefixedPath: "<dns subdomain>/<path>". */
function isDomainPrefixedPath(p: Path, v: string): FieldError[] {
  if (v === '') return [required(p)];
  const slash = v.indexOf('/');
  const host = slash < 0 ? v : v.slice(0, slash);
  const rest = slash < 0 ? '' : v.slice(slash + 1);
  if (slash < 0 || host === '' || rest === '') return [invalid(p, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = isDNS1123Subdomain(host).map((m) => invalid(p, host, m));
  if (!HTTP_PATH_RE.test(rest)) return [...errs, invalid(p, rest, regexError('must be a valid path', HTTP_PATH_FMT))];
  return errs;
}

function validateParameters(params: Obj | undefined, p: Path): FieldError[] {
  if (!params) return [];
  const errs: FieldError[] = [];
  if (typeof params.apiGroup === 'string' && params.apiGroup !== '') for (const m of isDNS1123Subdomain(params.apiGroup)) errs.push(invalid(p.child('apiGroup'), params.apiGroup, m));
  if (!params.kind) errs.push(required(p.child('kind')));
  if (!params.name) errs.push(required(p.child('name')));
  const scope = params.scope;
  if (scope === undefined || scope === null) {
    if (params.namespace !== undefined && params.namespace !== null) errs.push(required(p.child('scope'), '`parameters.scope` is required when `parameters.namespace` is set'));
    return errs;
  }
  if (scope !== 'Cluster' && scope !== 'Namespace') return [...errs, notSupported(p.child('scope'), scope, ['Cluster', 'Namespace'])];
  if (scope === 'Namespace') {
    if (!params.namespace) errs.push(required(p.child('namespace'), '`parameters.scope` is set to "Namespace"'));
    else for (const m of isDNS1123Label(params.namespace)) errs.push(invalid(p.child('namespace'), params.namespace, m));
  } else if (params.namespace !== undefined && params.namespace !== null) {
    errs.push(forbidden(p.child('namespace'), '`parameters.scope` is set to "Cluster"'));
  }
  return errs;
}

export function validateIngressClass(ic: Obj): FieldError[] {
  const errs = validateObjectMeta(ic.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const controller = typeof ic.spec?.controller === 'string' ? ic.spec.controller : '';
  if (controller.length > MAX_LEN_CONTROLLER) errs.push(tooLong(sp.child('controller'), controller, MAX_LEN_CONTROLLER));
  errs.push(...isDomainPrefixedPath(sp.child('controller'), controller));
  errs.push(...validateParameters(ic.spec?.parameters, sp.child('parameters')));
  return errs;
}

export function validateIngressClassUpdate(ic: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ic.metadata, old.metadata);
  errs.push(...validateIngressClass(ic).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...validateImmutable(ic.spec?.controller, old.spec?.controller, path('spec', 'controller')));
  return errs;
}
