/**
 * Status-subresource validation of core kinds other than Node, after upstream's status strategies:
 * ValidateNamespaceStatusUpdate, ValidateServiceStatusUpdate, ValidateResourceQuotaStatusUpdate,
 * ValidatePersistentVolumeStatusUpdate and ValidatePersistentVolumeClaimStatusUpdate. They check
 * ObjectMeta and the status only; the spec is the stored one (prepareForUpdate) and is not judged again.
 */
import { forbidden, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Subdomain, isQualifiedName, isValidIP } from '../names.ts';
import { parseQty, qtyValue } from '../../quantity.ts';
import { validateQuotaResourceName } from './resource-quota.ts';
import { validateResourceQuantityValue } from './node.ts';

type Obj = Record<string, any>;

export function validateNamespaceStatusUpdate(ns: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  const phase = ns.status?.phase ?? '';
  // Upstream's path really is "status.Phase".
  if (!ns.metadata?.deletionTimestamp) {
    if (phase !== 'Active') errs.push(invalid(path('status', 'Phase'), phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating') {
    errs.push(invalid(path('status', 'Phase'), phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
  return errs;
}

const IP_MODES = ['Proxy', 'VIP'];

/** The hostname rules shared by Service and Ingress load-balancer status. */
export function validateLoadBalancerHostname(hostname: string, p: Path): FieldError[] {
  const errs = isDNS1123Subdomain(hostname).map((m) => invalid(p, hostname, m));
  if (isValidIP(hostname).length === 0) errs.push(invalid(p, hostname, 'must be a DNS name, not an IP address'));
  return errs;
}

/**
 * ValidateLoadBalancerStatus (1.33: AllowServiceLBStatusOnNonLB off, LoadBalancerIPMode on). A
 * LoadBalancer Service's ingress with an IP has its ipMode defaulted to VIP before this runs
 * (defaultService, as SetDefaults_Service), so through the API "must be specified when `ip` is
 * set" never fires; it is kept, as upstream, for whatever is validated without that defaulting.
 */
function validateServiceLoadBalancerStatus(svc: Obj): FieldError[] {
  const ingress = (svc.status?.loadBalancer?.ingress ?? []) as Obj[];
  const p = path('status', 'loadBalancer', 'ingress');
  if (svc.spec?.type !== 'LoadBalancer' && ingress.length > 0) return [forbidden(p, "may only be used when `spec.type` is 'LoadBalancer'")];
  const errs: FieldError[] = [];
  ingress.forEach((ing, i) => {
    const ip = p.index(i);
    if (ing.ip) errs.push(...isValidIP(ing.ip).map((m) => invalid(ip.child('ip'), ing.ip, m)));
    if (ing.ipMode == null) {
      if (ing.ip) errs.push(required(ip.child('ipMode'), 'must be specified when `ip` is set'));
    } else if (!ing.ip) errs.push(forbidden(ip.child('ipMode'), 'may not be specified when `ip` is not set'));
    else if (ing.ipMode != null && !IP_MODES.includes(ing.ipMode)) errs.push(notSupported(ip.child('ipMode'), ing.ipMode, IP_MODES));
    if (ing.hostname) errs.push(...validateLoadBalancerHostname(ing.hostname, ip.child('hostname')));
  });
  return errs;
}

export function validateServiceStatusUpdate(svc: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(svc.metadata, old.metadata), ...validateServiceLoadBalancerStatus(svc)];
}

/** A status write always carries the stored resourceVersion here; upstream still checks it is set. */
const rvRequired = (o: Obj): FieldError[] => (o.metadata?.resourceVersion ? [] : [required(path('resourceVersion'))]);

export function validateResourceQuotaStatusUpdate(rq: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(rq.metadata, old.metadata), ...rvRequired(rq)];
  for (const f of ['hard', 'used']) {
    for (const [k, v] of Object.entries((rq.status?.[f] ?? {}) as Obj)) {
      const rp = path('status', f).key(k);
      errs.push(...validateQuotaResourceName(k, rp));
      errs.push(...validateResourceQuantityValue(k, v, rp));
    }
  }
  return errs;
}

export function validatePersistentVolumeStatusUpdate(pv: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(pv.metadata, old.metadata), ...rvRequired(pv)];
}

/** validateBasicResource: Value() may not be negative ("-0.5" is -1: upstream rounds it away from zero). */
function validateBasicResource(q: unknown, p: Path): FieldError[] {
  const pq = parseQty(q);
  const value = pq ? qtyValue(pq) : 0n;
  return value < 0n ? [invalid(p, Number(value), 'must be a valid resource quantity')] : [];
}

/** The allocatedResourceStatuses values (resizeStatusSet), sorted as sets.List gives them. */
const RESIZE_STATUSES = ['ControllerResizeInProgress', 'ControllerResizeInfeasible', 'NodeResizeInProgress', 'NodeResizeInfeasible', 'NodeResizePending'];

/**
 * validatePersistentVolumeClaimResourceKey: a qualified name, and of the native names (no '/', or
 * under kubernetes.io/) only "storage". Upstream reports it at the map's path, without the key.
 */
function validatePVCResourceKey(key: string, p: Path): FieldError[] {
  const errs = isQualifiedName(key).map((m) => invalid(p, key, m));
  if (errs.length > 0) return errs;
  const native = !key.includes('/') || key.includes('kubernetes.io/');
  return native && key !== 'storage' ? [notSupported(p, key, ['storage'])] : [];
}

/**
 * ValidatePersistentVolumeClaimStatusUpdate (1.33, RecoverVolumeExpansionFailure on): capacity, then
 * allocatedResourceStatuses (keys, and values of resizeStatusSet; upstream's path has no trailing
 * "es" and its NotSupported shows the key) and allocatedResources (keys, then the quantity).
 */
export function validatePersistentVolumeClaimStatusUpdate(pvc: Obj, old: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pvc.metadata, old.metadata), ...rvRequired(pvc)];
  // Upstream spells this path with a capital S.
  if ((pvc.spec?.accessModes ?? []).length === 0) errs.push(required(path('Spec', 'accessModes')));
  for (const [k, v] of Object.entries((pvc.status?.capacity ?? {}) as Obj)) errs.push(...validateBasicResource(v, path('status', 'capacity').key(k)));
  const statusPath = path('status', 'allocatedResourceStatus');
  for (const [k, v] of Object.entries((pvc.status?.allocatedResourceStatuses ?? {}) as Obj)) {
    errs.push(...validatePVCResourceKey(k, statusPath));
    if (!RESIZE_STATUSES.includes(v)) errs.push(notSupported(statusPath, k, RESIZE_STATUSES));
  }
  const allocPath = path('status', 'allocatedResources');
  for (const [k, v] of Object.entries((pvc.status?.allocatedResources ?? {}) as Obj)) {
    const keyErrs = validatePVCResourceKey(k, allocPath);
    if (keyErrs.length > 0) {
      errs.push(...keyErrs);
      continue;
    }
    const basic = validateBasicResource(v, allocPath.key(k));
    errs.push(...(basic.length > 0 ? basic : validateResourceQuantityValue('storage', v, allocPath.key(k))));
  }
  return errs;
}
