/**
 * podResizeStrategy.PrepareForUpdate (pkg/registry/core/pod/strategy.go dropNonResizeUpdates):
 * a write to pods/resize keeps the stored pod but for the containers' and init containers'
 * resources and resizePolicy; status and most metadata come from the stored pod
 * (ResetObjectMetaForStatus). A write that adds, removes, reorders or renames containers is left
 * as sent, for validation to refuse.
 */
import type { K8sObject } from './objects.ts';

type Ctr = Record<string, unknown> & { name?: string };

function mergeResizeFields(next: Ctr[] | undefined, old: Ctr[] | undefined): Ctr[] | undefined {
  if (!next || next.length === 0) return next;
  const out: Ctr[] = [];
  for (let i = 0; i < next.length; i++) {
    const n = next[i]!;
    const o = old?.[i];
    if (!o || o.name !== n.name) return next;
    const merged: Ctr = { ...o };
    if (n['resources'] !== undefined) merged['resources'] = n['resources'];
    else delete merged['resources'];
    if (n['resizePolicy'] !== undefined) merged['resizePolicy'] = n['resizePolicy'];
    else delete merged['resizePolicy'];
    out.push(merged);
  }
  return out;
}

export function dropNonResizeUpdates(obj: K8sObject, old: K8sObject): K8sObject {
  const ns = obj.spec ?? {};
  const os = old.spec ?? {};
  if ((ns.containers ?? []).length !== (os.containers ?? []).length || (ns.initContainers ?? []).length !== (os.initContainers ?? []).length) {
    return { ...obj, metadata: { ...obj.metadata } };
  }
  const spec = { ...os };
  const containers = mergeResizeFields(ns.containers, os.containers);
  const initContainers = mergeResizeFields(ns.initContainers, os.initContainers);
  if (containers !== undefined) spec.containers = containers;
  else delete spec.containers;
  if (initContainers !== undefined) spec.initContainers = initContainers;
  else delete spec.initContainers;
  const metadata = { ...obj.metadata };
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences', 'generation']) {
    if (old.metadata[k] !== undefined) metadata[k] = old.metadata[k];
    else delete metadata[k];
  }
  return { ...obj, metadata, spec, status: old.status };
}
