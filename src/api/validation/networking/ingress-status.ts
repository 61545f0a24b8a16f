/**
 * ingresses/status: upstream's ValidateIngressStatusUpdate, ObjectMeta update rules plus
 * ValidateIngressLoadBalancerStatus (ip a valid IP, hostname a DNS name and not an IP).
 */
import { invalid, path, type FieldError } from '../field-errors.ts';
import { validateObjectMetaUpdate } from '../meta.ts';
import { isValidIP } from '../names.ts';
import { validateLoadBalancerHostname } from '../core/status.ts';

type Obj = Record<string, any>;

export function validateIngressStatusUpdate(ing: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ing.metadata, old.metadata);
  ((ing.status?.loadBalancer?.ingress ?? []) as Obj[]).forEach((lb, i) => {
    const p = path('status', 'loadBalancer', 'ingress').index(i);
    if (lb.ip) errs.push(...isValidIP(lb.ip).map((m) => invalid(p.child('ip'), lb.ip, m)));
    if (lb.hostname) errs.push(...validateLoadBalancerHostname(lb.hostname, p.child('hostname')));
  });
  return errs;
}
