/**
 * Node update rules. nodes/status: upstream's nodeStatusStrategy.ValidateUpdate runs ValidateNodeUpdate (the
 * update rules, never ValidateNode's create rules), so the agent's heartbeats are judged on what an
 * update may change: resource quantities, duplicate addresses, podCIDRs/providerID set once.
 */
import { duplicate, forbidden, GoValue, path, type FieldError } from '../field-errors.ts';
import { validateObjectMetaUpdate } from '../meta.ts';
import { internalPodCIDRs, validateNode, validateNodeResources, validateNodeTaints } from './node.ts';

import type { Node, Taint } from 'kubernetes-types/core/v1.js';

type Obj = Record<string, any>;

const podCIDRsOf = (n: Obj): string[] => internalPodCIDRs(n?.spec);
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
 * its taint (metadata.taints) and status quantity errors: ValidateNodeUpdate reports the same ones
 * (upstream lists them twice).
 */
export function validateNodeMainUpdate(node: Obj, old: Obj): FieldError[] {
  const create = validateNode(node as Node).filter((e) => !e.field.startsWith('metadata.') && !e.field.startsWith('status.'));
  return [...create, ...validateNodeUpdate(node, old)];
}
