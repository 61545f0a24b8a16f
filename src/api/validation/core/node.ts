/** Node validation: names, taints (unique by key and effect), pod CIDRs. */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { duplicate, invalid, path, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateLabelName, validateObjectMeta } from '../meta.ts';
import { isValidCIDR, isValidLabelValue } from '../names.ts';
import { validateTaintEffect } from './pod-spec.ts';

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  errs.push(...validateNodeTaints((node.spec?.taints ?? []) as Taint[], sp.child('taints')));
  const cidrs = node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []);
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDR(c)) errs.push(invalid(sp.child('podCIDRs').index(i), c, m));
  });
  if (cidrs.length > 1 && new Set(cidrs).size !== cidrs.length) {
    errs.push(invalid(sp.child('podCIDRs'), cidrs, 'may not contain duplicates'));
  }
  return errs;
}

/** validateNodeTaints: valid key, value and effect; unique by key and effect. */
export function validateNodeTaints(taints: readonly Taint[], p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  taints.forEach((t, i) => {
    const ip = p.index(i);
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
  return errs;
}
