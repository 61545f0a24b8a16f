/** LimitRange validation: known types, one item per type, min <= defaultRequest <= default <= max. */
import type { LimitRange } from 'kubernetes-types/core/v1.js';
import { duplicate, forbidden, invalid, path, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta } from '../meta.ts';
import { isQualifiedName } from '../names.ts';
import { cmpQty, formatQty, parseQty, type Qty } from '../../quantity.ts';
import { validateQuantity } from './resource-quota.ts';

const LIMIT_TYPES = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);

export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const seenTypes = new Set<string>();
  (lr.spec?.limits ?? []).forEach((limit, i) => {
    const ip = path('spec', 'limits').index(i);
    const type = limit.type ?? '';
    const typeErrs = isQualifiedName(type).map((m) => invalid(ip.child('type'), type, m));
    if (typeErrs.length === 0 && !type.includes('/') && !LIMIT_TYPES.has(type)) {
      typeErrs.push(invalid(ip.child('type'), type, 'must be a standard limit type or fully qualified'));
    }
    errs.push(...typeErrs);
    if (seenTypes.has(type)) errs.push(duplicate(ip.child('type'), type));
    seenTypes.add(type);
    if (type === 'Pod') {
      if (limit.default && Object.keys(limit.default).length) errs.push(forbidden(ip.child('default'), "may not be specified when `type` is 'Pod'"));
      if (limit.defaultRequest && Object.keys(limit.defaultRequest).length) {
        errs.push(forbidden(ip.child('defaultRequest'), "may not be specified when `type` is 'Pod'"));
      }
    }
    const groups = { min: limit.min, max: limit.max, default: limit.default, defaultRequest: limit.defaultRequest } as const;
    const parsed: Record<keyof typeof groups, Map<string, Qty>> = { min: new Map(), max: new Map(), default: new Map(), defaultRequest: new Map() };
    for (const g of Object.keys(groups) as (keyof typeof groups)[]) {
      for (const [k, v] of Object.entries(groups[g] ?? {})) {
        errs.push(...validateQuantity(v, ip.child(g).key(k)));
        const q = parseQty(v);
        if (q) parsed[g].set(k, q);
      }
    }
    const keys = new Set(Object.values(parsed).flatMap((m) => [...m.keys()]));
    for (const k of keys) {
      const min = parsed.min.get(k);
      const max = parsed.max.get(k);
      const def = parsed.default.get(k);
      const req = parsed.defaultRequest.get(k);
      if (min && max && cmpQty(min, max) > 0) {
        errs.push(invalid(ip.child('min').key(k), formatQty(min), `min value ${formatQty(min)} is greater than max value ${formatQty(max)}`));
      }
      if (req && min && cmpQty(min, req) > 0) {
        errs.push(invalid(ip.child('defaultRequest').key(k), formatQty(req), `min value ${formatQty(min)} is greater than default request value ${formatQty(req)}`));
      }
      if (req && max && cmpQty(req, max) > 0) {
        errs.push(invalid(ip.child('defaultRequest').key(k), formatQty(req), `default request value ${formatQty(req)} is greater than max value ${formatQty(max)}`));
      }
      if (req && def && cmpQty(req, def) > 0) {
        errs.push(invalid(ip.child('defaultRequest').key(k), formatQty(req), `default request value ${formatQty(req)} is greater than default limit value ${formatQty(def)}`));
      }
      if (def && min && cmpQty(min, def) > 0) {
        errs.push(invalid(ip.child('default').key(k), formatQty(min), `min value ${formatQty(min)} is greater than default value ${formatQty(def)}`));
      }
      if (def && max && cmpQty(def, max) > 0) {
        errs.push(invalid(ip.child('default').key(k), formatQty(max), `default value ${formatQty(def)} is greater than max value ${formatQty(max)}`));
      }
    }
  });
  return errs;
}
