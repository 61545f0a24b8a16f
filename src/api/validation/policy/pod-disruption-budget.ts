/** policy/v1 PodDisruptionBudget validation. */
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { GoValue, invalid, notSupported, path, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta } from '../meta.ts';
import { isNotMoreThan100Percent, validatePositiveIntOrPercent } from '../apps/common.ts';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldError[] {
  const errs = validateObjectMeta(pdb.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = pdb.spec ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(invalid(sp, new GoValue(JSON.stringify(spec)), 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const f of ['minAvailable', 'maxUnavailable'] as const) {
    if (spec[f] === undefined) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], sp.child(f)));
    errs.push(...isNotMoreThan100Percent(spec[f], sp.child(f)));
  }
  errs.push(...validateLabelSelector(spec.selector, sp.child('selector')));
  const uep = spec.unhealthyPodEvictionPolicy;
  if (uep !== undefined && !EVICTION_POLICIES.includes(uep)) errs.push(notSupported(sp.child('unhealthyPodEvictionPolicy'), uep, EVICTION_POLICIES));
  return errs;
}
