/**
 * Node update rules. nodes/status: upstream's nodeStatusStrategy.ValidateUpdate runs ValidateNodeUpdate (the
 * update rules, never ValidateNode's create rules), so the agent's heartbeats are judged on what an
 * update may change: resource quantities, duplicate addresses, podCIDRs/providerID set once.
 */
import { duplicate, forbidden, GoValue, invalid, path, type FieldError, type Path } from '../field-errors.ts';
import { IS_NEGATIVE_ERROR, validateObjectMetaUpdate } from '../meta.ts';
import { isQualifiedName } from '../names.ts';
import { parseQuantity, QUANTITY_FORMAT_ERROR, quantitySign } from '../quantity.ts';
import { validateNode, validateNodeTaints } from './node.ts';

import type { Taint } from 'kubernetes-types/core/v1.js';

type Obj = Record<string, any>;

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
  const pq = parseQuantity(q);
  if (!pq) return [invalid(p, q, QUANTITY_FORMAT_ERROR)];
  const errs = quantitySign(pq) < 0 ? [invalid(p, pq.text, IS_NEGATIVE_ERROR)] : [];
  if ((INTEGER_RESOURCES.has(name) || isExtendedResourceName(name)) && pq.num % pq.den !== 0n) errs.push(invalid(p, pq.text, 'must be an integer'));
  return errs;
}

/** validateNodeResources: upstream builds these paths with Child, so `status.capacity.cpu`. */
function validateNodeResources(status: Obj): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['capacity', 'allocatable']) {
    for (const [k, v] of Object.entries((status[f] ?? {}) as Obj)) errs.push(...validateResourceQuantityValue(k, v, path('status', f, k)));
  }
  return errs;
}

const podCIDRsOf = (n: Obj): string[] => n?.spec?.podCIDRs ?? (n?.spec?.podCIDR ? [n.spec.podCIDR] : []);
const CIDR_ONCE = 'node updates may not change podCIDR except from "" to valid';

/** ValidateNodeUpdate (1.33), in upstream's order: all of nodes/status, and part of a Node update. */
export function validateNodeUpdate(node: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  const status: Obj = node.status ?? {};
  errs.push(...validateNodeResources(status));
  const seen = new Set<string>();
  ((status.addresses ?? []) as Obj[]).forEach((a, i) => {
    const k = `${a.type}\u0000${a.address}`;
    if (seen.has(k)) errs.push(duplicate(path('status', 'addresses').index(i), new GoValue(`core.NodeAddress{Type:"${a.type}", Address:"${a.address}"}`)));
    seen.add(k);
  });
  const oldCIDRs = podCIDRsOf(old);
  const newCIDRs = podCIDRsOf(node);
  if (oldCIDRs.length > 0 && (oldCIDRs.length !== newCIDRs.length || oldCIDRs.some((c, i) => c !== newCIDRs[i]))) {
    errs.push(forbidden(path('spec', 'podCIDRs'), CIDR_ONCE));
  }
  const oldPid = old?.spec?.providerID ?? '';
  if (oldPid && oldPid !== (node.spec?.providerID ?? '')) {
    errs.push(forbidden(path('spec', 'providerID'), 'node updates may not change providerID except from "" to valid'));
  }
  // Upstream hangs the taints off the metadata path here (fldPath is "metadata"); kept for identical messages.
  const taints = (node.spec?.taints ?? []) as Obj[];
  if (taints.length > 0) errs.push(...validateNodeTaints(taints as Taint[], path('metadata', 'taints')));
  if ((node.spec?.externalID ?? '') !== (old?.spec?.externalID ?? '')) errs.push(forbidden(path('spec', 'externalID'), 'may not be updated'));
  return errs;
}

/**
 * nodeStrategy.ValidateUpdate: ValidateNode then ValidateNodeUpdate. ValidateNode's metadata create
 * rules are left out on update, as for every kind here (the update rules cover metadata), and so are
 * its taint errors: ValidateNodeUpdate reports the same ones (upstream lists them twice).
 */
export function validateNodeMainUpdate(node: Obj, old: Obj): FieldError[] {
  const create = validateNode(node).filter((e) => !e.field.startsWith('metadata.') && !e.field.startsWith('spec.taints'));
  return [...create, ...validateNodeUpdate(node, old)];
}
