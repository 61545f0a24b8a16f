import type { Service } from 'kubernetes-types/core/v1.js';
import { invalid as invalidObject } from '../../api/errors.ts';
import { invalid, path, toStatusCauses, type FieldError } from '../../api/validation/field-errors.ts';
import { validateServiceClusterIPsRelatedFields } from '../../api/validation/core/service.ts';
import { parseIPSloppy } from '../../util/ip-sloppy.ts';

/** The families this cluster serves (--service-cluster-ip-range 10.96.0.0/12): single-stack IPv4. */
const CONFIGURED_FAMILIES: ReadonlySet<string> = new Set(['IPv4']);
const DEFAULT_FAMILY = 'IPv4';

function familyOf(ip: string): string {
  const family = parseIPSloppy(ip)?.family;
  return family === 4 ? 'IPv4' : family === 6 ? 'IPv6' : 'unknown';
}

/** Two string lists equal item by item, an absent one as empty. */
export function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Not specified (empty) is not a reduction: it is defaulted. */
function reduced(next: readonly string[] | undefined, old: readonly string[] | undefined): boolean {
  return (next?.length ?? 0) > 0 && next!.length < (old?.length ?? 0);
}

function selectorless(svc: Service): boolean {
  return !svc.spec?.selector || Object.keys(svc.spec.selector).length === 0;
}

/** Two PreferDualStack Services of an IP-holding type whose clusterIPs and ipFamilies match: left as stored. */
function isMatchingPreferDualStack(svc: Service, old: Service | undefined): boolean {
  const n = svc.spec ?? {};
  const o = old?.spec;
  if (!o || n.ipFamilyPolicy == null || o.type !== n.type) return false;
  if (n.type !== 'ClusterIP' && n.type !== 'NodePort' && n.type !== 'LoadBalancer') return false;
  if (n.ipFamilyPolicy !== 'PreferDualStack' || (o.ipFamilyPolicy != null && o.ipFamilyPolicy !== 'PreferDualStack')) return false;
  return sameList(o.clusterIPs, n.clusterIPs) && sameList(o.ipFamilies, n.ipFamilies);
}

function refuse(svc: Service, errs: readonly FieldError[]): never {
  throw invalidObject('Service', '', String(svc.metadata?.name ?? ''), toStatusCauses(errs));
}

/**
 * Upstream's initIPFamilyFields (pkg/registry/core/service/storage/alloc.go) on this single-stack
 * IPv4 cluster, run where upstream's BeginCreate/BeginUpdate run it: after mutating admission and
 * defaulting, before validation, on create and on every update (dry runs too). Mutates `svc`:
 * ipFamilyPolicy when unset (an update keeps the stored one; a headless Service without a selector
 * is RequireDualStack, anything else SingleStack), ipFamilies inferred from clusterIPs, else the
 * cluster's family, and a headless selectorless Service that is not SingleStack gets both
 * families (it has no address, so the cluster's stack does not limit it). Throws upstream's 422s:
 * an address of a family this cluster does not serve (spec.clusterIPs[i]), RequireDualStack,
 * an unserved family (spec.ipFamilies[i]), policy/list mismatches.
 */
export function initIPFamilyFields(svc: Service, old: Service | undefined): void {
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return;
  if (isMatchingPreferDualStack(svc, old)) return;
  if (spec.ipFamilyPolicy == null) {
    if (old?.spec?.ipFamilyPolicy != null) spec.ipFamilyPolicy = old.spec.ipFamilyPolicy;
    else if (spec.clusterIP === 'None' && selectorless(svc)) spec.ipFamilyPolicy = 'RequireDualStack';
    else spec.ipFamilyPolicy = 'SingleStack';
  }
  const pre = validateServiceClusterIPsRelatedFields(svc);
  if (pre.length > 0) refuse(svc, pre);

  const errs: FieldError[] = [];
  const policyPath = path('spec', 'ipFamilyPolicy');
  const policy = spec.ipFamilyPolicy;
  if (old) {
    if (policy === 'SingleStack') {
      // Same lists with the policy set to SingleStack: clear intent to drop the secondary.
      if (sameList(old.spec?.clusterIPs, spec.clusterIPs) && (spec.clusterIPs?.length ?? 0) > 1) spec.clusterIPs = spec.clusterIPs!.slice(0, 1);
      if (sameList(old.spec?.ipFamilies, spec.ipFamilies) && (spec.ipFamilies?.length ?? 0) > 1) spec.ipFamilies = spec.ipFamilies!.slice(0, 1);
    } else {
      if (reduced(spec.clusterIPs, old.spec?.clusterIPs)) errs.push(invalid(policyPath, policy, "must be 'SingleStack' to release the secondary cluster IP"));
      if (reduced(spec.ipFamilies, old.spec?.ipFamilies)) errs.push(invalid(policyPath, policy, "must be 'SingleStack' to release the secondary IP family"));
    }
  }
  if (policy === 'SingleStack') {
    if (spec.clusterIPs?.length === 2) errs.push(invalid(policyPath, policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if (spec.ipFamilies?.length === 2) errs.push(invalid(policyPath, policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  // Families inferred from the addresses given; an address of an unserved family is named as such.
  const ips = spec.clusterIPs ?? [];
  for (let i = 0; i < ips.length; i++) {
    if (ips[i] === 'None') break;
    if (i < (spec.ipFamilies?.length ?? 0)) continue;
    const fam = familyOf(ips[i]!);
    if (!CONFIGURED_FAMILIES.has(fam)) errs.push(invalid(path('spec', 'clusterIPs').index(i), ips, `${fam} is not configured on this cluster`));
    else spec.ipFamilies = [...(spec.ipFamilies ?? []), fam];
  }
  if (errs.length > 0) refuse(svc, errs);

  if (spec.clusterIP === 'None' && selectorless(svc)) {
    if (!spec.ipFamilies?.length) spec.ipFamilies = [DEFAULT_FAMILY];
    if (spec.ipFamilies.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') spec.ipFamilies = [...spec.ipFamilies, spec.ipFamilies[0] === 'IPv4' ? 'IPv6' : 'IPv4'];
    return;
  }
  if (policy === 'RequireDualStack' && CONFIGURED_FAMILIES.size < 2) errs.push(invalid(policyPath, policy, 'this cluster is not configured for dual-stack services'));
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (!CONFIGURED_FAMILIES.has(f)) errs.push(invalid(path('spec', 'ipFamilies').index(i), f, 'not configured on this cluster'));
  });
  if (errs.length > 0) refuse(svc, errs);
  if (!spec.ipFamilies?.length) spec.ipFamilies = [DEFAULT_FAMILY];
  // A dual-stack cluster would add the other family to a PreferDualStack Service here.
}
