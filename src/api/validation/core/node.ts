/** Node validation: names, taints (unique by key and effect), pod CIDRs. */
import type { Node } from 'kubernetes-types/core/v1.js';
import { duplicate, invalid, path, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateLabelName, validateObjectMeta } from '../meta.ts';
import { isValidCIDR, isValidLabelValue } from '../names.ts';
import { validateTaintEffect } from './pod-spec.ts';

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const ip = sp.child('taints').index(i);
    errs.push(...validateLabelName(t.key, ip.child('key')));
    const vm = isValidLabelValue(t.value ?? '');
    if (vm.length) errs.push(invalid(ip.child('value'), t.value ?? '', vm.join(';')));
    errs.push(...validateTaintEffect(t.effect, false, ip.child('effect')));
    const k = `${t.effect}\u0000${t.key}`;
    if (seen.has(k)) {
      errs.push({ ...duplicate(ip, t), detail: 'taints must be unique by key and effect pair' });
      return;
    }
    seen.add(k);
  });
  const cidrs = node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []);
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDR(c)) errs.push(invalid(sp.child('podCIDRs').index(i), c, m));
  });
  if (cidrs.length > 1 && new Set(cidrs).size !== cidrs.length) {
    errs.push(invalid(sp.child('podCIDRs'), cidrs, 'may not contain duplicates'));
  }
  return errs;
}
