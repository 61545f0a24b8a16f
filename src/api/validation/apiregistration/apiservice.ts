/** apiregistration.k8s.io/v1 APIService validation (kube-aggregator pkg/apis/apiregistration/validation). */
import { invalid, path, required, type FieldError } from '../field-errors.ts';
import { validateObjectMeta, validateObjectMetaUpdate, validatePathSegmentName, type NameFn } from '../meta.ts';
import { isDNS1035Label, isDNS1123Subdomain, isValidPortNum } from '../names.ts';

type Obj = Record<string, any>;

/** Decoded length of the base64 caBundle (upstream counts bytes). */
function caBundleBytes(v: unknown): number {
  return typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
}

export function validateAPIService(a: Obj): FieldError[] {
  const spec = a.spec ?? {};
  const requiredName = `${spec.version ?? ''}.${spec.group ?? ''}`;
  // The name *must* be version.group.
  const nameFn: NameFn = (name, prefix) => {
    const minimal = validatePathSegmentName(name, prefix);
    if (minimal.length > 0) return minimal;
    return name !== requiredName ? [`must be \`spec.version+"."+spec.group\`: ${JSON.stringify(requiredName)}`] : [];
  };
  const errs = validateObjectMeta(a.metadata, { namespaced: false, nameFn });
  const sp = path('spec');
  const groupName = typeof spec.group === 'string' ? spec.group : '';
  if (groupName === '' && spec.version !== 'v1') errs.push(required(sp.child('group'), 'only v1 may have an empty group and it better be legacy kube'));
  if (groupName !== '') for (const m of isDNS1123Subdomain(groupName)) errs.push(invalid(sp.child('group'), groupName, m));
  const version = typeof spec.version === 'string' ? spec.version : '';
  for (const m of isDNS1035Label(version)) errs.push(invalid(sp.child('version'), version, m));
  const gpm = spec.groupPriorityMinimum ?? 0;
  if (gpm <= 0 || gpm > 20000) errs.push(invalid(sp.child('groupPriorityMinimum'), gpm, 'must be positive and less than 20000'));
  const vp = spec.versionPriority ?? 0;
  if (vp <= 0 || vp > 1000) errs.push(invalid(sp.child('versionPriority'), vp, 'must be positive and less than 1000'));
  const ca = caBundleBytes(spec.caBundle);
  if (!spec.service) {
    if (ca !== 0) errs.push(invalid(sp.child('caBundle'), `${ca} bytes`, 'local APIServices may not have a caBundle'));
    if (spec.insecureSkipTLSVerify === true) errs.push(invalid(sp.child('insecureSkipTLSVerify'), true, 'local APIServices may not have insecureSkipTLSVerify'));
    return errs;
  }
  const svc = spec.service;
  if (!svc.namespace) errs.push(required(sp.child('service', 'namespace')));
  if (!svc.name) errs.push(required(sp.child('service', 'name')));
  const port = svc.port ?? 0;
  const portErrs = isValidPortNum(port);
  if (portErrs.length > 0) errs.push(invalid(sp.child('service', 'port'), port, `port is not valid: ${portErrs.join(', ')}`));
  if (spec.insecureSkipTLSVerify === true && ca > 0) errs.push(invalid(sp.child('insecureSkipTLSVerify'), true, 'may not be true if caBundle is present'));
  return errs;
}

export function validateAPIServiceUpdate(a: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(a.metadata, old.metadata), ...validateAPIService(a).filter((e) => !e.field.startsWith('metadata.'))];
}
