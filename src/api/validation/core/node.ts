/**
 * Node create validation after upstream 1.33 ValidateNode: ObjectMeta; the taints, at
 * `metadata.taints` (upstream hands validateNodeTaints the metadata path); the status capacity and
 * allocatable quantities (ValidateNodeResources, on create too); the pod CIDRs: each a valid CIDR,
 * and with more than one, dual-stack (at most one per family, so at most two) and no duplicates.
 * The internal spec's podCIDRs come from v1's podCIDR/podCIDRs as Convert_v1_NodeSpec_To_core_NodeSpec
 * makes them. Not ported: ValidateNodeSpecificAnnotations (the scheduler.alpha.kubernetes.io/taints
 * and preferAvoidPods annotations).
 */
import type { Node, NodeSpec, Taint } from 'kubernetes-types/core/v1.js';
import { duplicate, goQuote, goStruct, internalError, invalid, path, type FieldError, type Path } from '../field-errors.ts';
import { IS_NEGATIVE_ERROR, nameIsDNSSubdomain, validateLabelName, validateObjectMeta } from '../meta.ts';
import { isQualifiedName, isValidCIDRForLegacyField, isValidLabelValue } from '../names.ts';
import { parseCIDRSloppy } from '../../../util/ip-sloppy.ts';
import { formatQty, parseQty, qtyMilliValue, qtySign, QUANTITY_FORMAT_ERROR } from '../../quantity.ts';
import { validateTaintEffect } from './pod-spec.ts';

type Obj = Record<string, any>;

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const taints = (node.spec?.taints ?? []) as Taint[];
  if (taints.length > 0) errs.push(...validateNodeTaints(taints, path('metadata', 'taints')));
  errs.push(...validateNodeResources((node.status ?? {}) as Obj));
  errs.push(...validatePodCIDRs(internalPodCIDRs(node.spec)));
  return errs;
}

/**
 * The internal NodeSpec's podCIDRs (Convert_v1_NodeSpec_To_core_NodeSpec): v1's podCIDRs, unless
 * podCIDR is set and differs from podCIDRs[0] (then podCIDR alone, for older clients) or podCIDRs
 * is empty (then podCIDR).
 */
export function internalPodCIDRs(spec: NodeSpec | undefined): string[] {
  const one = spec?.podCIDR ?? '';
  const many = spec?.podCIDRs ?? [];
  if (one && (many.length === 0 || many[0] !== one)) return [one];
  return many;
}

/** ValidateNode's pod CIDR rules, in upstream's order. */
function validatePodCIDRs(cidrs: readonly string[]): FieldError[] {
  if (cidrs.length === 0) return [];
  const p = path('spec', 'podCIDRs');
  const errs: FieldError[] = [];
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDRForLegacyField(c)) errs.push(invalid(p.index(i), c, m));
  });
  if (cidrs.length > 1) {
    // netutils.IsDualStackCIDRStrings: an unparsable CIDR is an error (and not dual-stack).
    const parsed = cidrs.map(parseCIDRSloppy);
    const bad = parsed.findIndex((c) => c === undefined);
    if (bad >= 0) {
      const text = cidrs[bad]!;
      errs.push(internalError(p, `invalid PodCIDRs. failed to check with dual stack with error:failed to parse cidr value:${goQuote(text)} with error:invalid CIDR address: ${text}`));
    }
    const ok = parsed.filter((c) => c !== undefined);
    const dualStack = bad < 0 && ok.some((c) => c.family === 6) && ok.some((c) => c.family === 4);
    if (!dualStack || cidrs.length > 2) errs.push(invalid(p, cidrs, 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(p.index(i), c));
      seen.add(c);
    });
  }
  return errs;
}

/** %#v of a core.Taint, the bad value of a duplicate (timeAdded shown by value, not address). */
function goTaint(t: Taint) {
  return goStruct('core.Taint', [['Key', undefined, t.key ?? ''], ['Value', undefined, t.value ?? ''], ['Effect', undefined, t.effect ?? ''], ['TimeAdded', '*v1.Time', t.timeAdded]]);
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
      errs.push({ ...duplicate(ip, goTaint(t)), detail: 'taints must be unique by key and effect pair' });
      return;
    }
    seen.add(k);
  });
  return errs;
}

const INTEGER_RESOURCES = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers',
]);

/** helper.IsExtendedResourceName: not native (has a '/' outside kubernetes.io/), not requests.*, and a valid quota name. */
function isExtendedResourceName(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  if (native || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** ValidateResourceQuantityValue: nonnegative, and whole for integer resources ("must be an integer"). */
export function validateResourceQuantityValue(name: string, q: unknown, p: Path): FieldError[] {
  const pq = parseQty(q);
  if (!pq) return [invalid(p, q, QUANTITY_FORMAT_ERROR)];
  const errs = qtySign(pq) < 0 ? [invalid(p, formatQty(pq), IS_NEGATIVE_ERROR)] : [];
  if ((INTEGER_RESOURCES.has(name) || isExtendedResourceName(name)) && qtyMilliValue(pq) % 1000n !== 0n) errs.push(invalid(p, String(q), 'must be an integer'));
  return errs;
}

/** ValidateNodeResources: upstream builds these paths with Child, so `status.capacity.cpu`. */
export function validateNodeResources(status: Obj): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['capacity', 'allocatable']) {
    for (const [k, v] of Object.entries((status[f] ?? {}) as Obj)) errs.push(...validateResourceQuantityValue(k, v, path('status', f, k)));
  }
  return errs;
}
