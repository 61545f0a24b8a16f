/**
 * LimitRange checks as upstream's LimitRanger words them. Values are compared as upstream does:
 * in thousandths when every value fits, else in whole units, rounded up either way.
 */
import { MAX_MILLI_VALUE, formatQty, qtyMilliValue, qtyValue, type Qty } from '../../api/quantity.ts';
import type { ResourceList } from './resource-list.ts';

function comparable(values: (Qty | undefined)[]): bigint[] {
  const whole = values.map((q) => (q ? qtyValue(q) : 0n));
  if (whole.every((v) => v <= MAX_MILLI_VALUE)) return values.map((q) => (q ? qtyMilliValue(q) : 0n));
  return whole;
}

export function minConstraint(type: string, name: string, enforced: Qty, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[name];
  const lim = limits[name];
  const [r, l, e] = comparable([req, lim, enforced]);
  const min = formatQty(enforced);
  if (!req) return `minimum ${name} usage per ${type} is ${min}.  No request is specified`;
  if (r! < e!) return `minimum ${name} usage per ${type} is ${min}, but request is ${formatQty(req)}`;
  if (lim && l! < e!) return `minimum ${name} usage per ${type} is ${min}, but limit is ${formatQty(lim)}`;
  return undefined;
}

/** Max for kinds that only have requests (PersistentVolumeClaim). */
export function maxRequestConstraint(type: string, name: string, enforced: Qty, requests: ResourceList): string | undefined {
  const req = requests[name];
  const [r, , e] = comparable([req, undefined, enforced]);
  const max = formatQty(enforced);
  if (!req) return `maximum ${name} usage per ${type} is ${max}.  No request is specified`;
  if (r! > e!) return `maximum ${name} usage per ${type} is ${max}, but request is ${formatQty(req)}`;
  return undefined;
}

export function maxConstraint(type: string, name: string, enforced: Qty, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[name];
  const lim = limits[name];
  const [r, l, e] = comparable([req, lim, enforced]);
  const max = formatQty(enforced);
  if (!lim) return `maximum ${name} usage per ${type} is ${max}.  No limit is specified`;
  if (l! > e!) return `maximum ${name} usage per ${type} is ${max}, but limit is ${formatQty(lim)}`;
  if (req && r! > e!) return `maximum ${name} usage per ${type} is ${max}, but request is ${formatQty(req)}`;
  return undefined;
}

export function limitRequestRatioConstraint(type: string, name: string, enforced: Qty, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests[name];
  const lim = limits[name];
  const [r, l] = comparable([req, lim, enforced]);
  const ratio = formatQty(enforced);
  if (!req || r === 0n) return `${name} max limit to request ratio per ${type} is ${ratio}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${name} max limit to request ratio per ${type} is ${ratio}, but no limit is specified or limit is 0`;
  // Upstream divides as float64 and prints with %f.
  const display = Number(l) / Number(r);
  let observed = display;
  let max = Number(qtyValue(enforced));
  if (qtyValue(enforced) <= MAX_MILLI_VALUE) {
    observed = display * 1000;
    max = Number(qtyMilliValue(enforced));
  }
  if (observed > max) return `${name} max limit to request ratio per ${type} is ${ratio}, but provided ratio is ${display.toFixed(6)}`;
  return undefined;
}
