/**
 * podEphemeralContainersStrategy.PrepareForUpdate (pkg/registry/core/pod/strategy.go
 * dropNonEphemeralContainerUpdates): a write to pods/ephemeralcontainers keeps the stored pod but
 * for spec.ephemeralContainers; status and most metadata come from the stored pod
 * (metav1.ResetObjectMetaForStatus: labels, annotations, finalizers, ownerReferences, generation).
 * What the write did to the ephemeral containers is validateEphemeralContainerChanges's to judge.
 */
import type { K8sObject } from './objects.ts';

const META_FROM_STORED = ['labels', 'annotations', 'finalizers', 'ownerReferences', 'generation'] as const;

export function dropNonEphemeralContainerUpdates(obj: K8sObject, old: K8sObject): K8sObject {
  const spec = { ...(old.spec ?? {}) };
  const eph = obj.spec?.ephemeralContainers;
  if (eph === undefined || eph === null) delete spec.ephemeralContainers;
  else spec.ephemeralContainers = eph;
  const metadata = { ...obj.metadata };
  for (const k of META_FROM_STORED) {
    if (old.metadata[k] !== undefined) metadata[k] = old.metadata[k];
    else delete metadata[k];
  }
  // Status is the stored one already (prepareForUpdate), as for every write but pods/status.
  return { ...obj, metadata, spec };
}
