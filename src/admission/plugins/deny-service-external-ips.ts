import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';

/**
 * DenyServiceExternalIPs (upstream plugin/pkg/admission/network/denyserviceexternalips, off by
 * default): a Service create or update may not add `spec.externalIPs` (CVE-2020-8554, where
 * whoever writes a Service could draw traffic for any address). An update that keeps a subset of
 * the addresses the Service already had, or clears them, is allowed.
 */
export class DenyServiceExternalIPs implements ValidatingPlugin {
  readonly name = 'DenyServiceExternalIPs';

  handles(a: AdmissionAttributes): boolean {
    return (a.operation === 'CREATE' || a.operation === 'UPDATE') && a.resource.group === '' && a.resource.resource === 'services' && a.subresource === '';
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    if (isSubset(externalIPs(a.object), a.oldObject ? externalIPs(a.oldObject) : undefined)) return { allowed: true };
    return { allowed: false, reason: 'Use of external IPs is denied by admission control' };
  }
}

function externalIPs(svc: Record<string, any> | undefined): unknown[] {
  const ips = svc?.spec?.externalIPs;
  return Array.isArray(ips) ? ips : [];
}

/** Upstream's isSubset: none is a subset; some on a create is not; else every new one was there. */
function isSubset(now: unknown[], old: unknown[] | undefined): boolean {
  if (now.length === 0) return true;
  if (!old) return false;
  const had = new Set(old);
  return now.every((ip) => had.has(ip));
}
