/** ResourceQuota validation: quota resource names, non-negative quantities, known scopes. */
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { invalid, path, type FieldError, type Path } from '../field-errors.ts';
import { IS_NEGATIVE_ERROR, nameIsDNSSubdomain, validateObjectMeta } from '../meta.ts';
import { isQualifiedName } from '../names.ts';
import { formatQty, parseQty, qtySign, QUANTITY_FORMAT_ERROR } from '../../quantity.ts';

const STANDARD_QUOTA = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory',
  'requests.storage', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);
const SCOPES = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity', 'VolumeAttributesClass']);

export function validateQuantity(q: unknown, p: Path): FieldError[] {
  const pq = parseQty(q);
  if (!pq) return [invalid(p, q, QUANTITY_FORMAT_ERROR)];
  return qtySign(pq) < 0 ? [invalid(p, formatQty(pq), IS_NEGATIVE_ERROR)] : [];
}

export function validateQuotaResourceName(name: string, p: Path): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(p, name, m));
  if (errs.length === 0 && !name.includes('/')) {
    const hugepages = name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');
    if (!STANDARD_QUOTA.has(name) && !hugepages) errs.push(invalid(p, name, 'must be a standard resource for quota'));
  }
  return errs;
}

export function validateResourceQuota(rq: ResourceQuota): FieldError[] {
  const errs = validateObjectMeta(rq.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  for (const [k, v] of Object.entries(rq.spec?.hard ?? {})) {
    const rp = sp.child('hard').key(k);
    errs.push(...validateQuotaResourceName(k, rp));
    errs.push(...validateQuantity(v, rp));
  }
  const scopes = rq.spec?.scopes ?? [];
  for (const s of scopes) if (!SCOPES.has(s)) errs.push(invalid(sp.child('scopes'), scopes, 'unsupported scope'));
  if (scopes.includes('Terminating') && scopes.includes('NotTerminating')) errs.push(invalid(sp.child('scopes'), scopes, 'conflicting scopes'));
  if (scopes.includes('BestEffort') && scopes.includes('NotBestEffort')) errs.push(invalid(sp.child('scopes'), scopes, 'conflicting scopes'));
  return errs;
}
