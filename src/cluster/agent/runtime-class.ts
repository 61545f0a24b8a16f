/**
 * spec.runtimeClassName on the node: the RuntimeClass's handler names the runtime the kubelet asks
 * its CRI for, and a handler the CRI does not have fails the sandbox ("no runtime for %q is
 * configured", containerd). This agent has one runtime, runc, under containerd's name for it:
 * a pod asking for another handler (a VM or gVisor sandbox) would otherwise run as a plain runc
 * container, with less isolation than it asked for. Such a pod, or one whose RuntimeClass does not
 * exist, is rejected; a failure to read the RuntimeClass is thrown (the sync is retried, nothing
 * runs meanwhile).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../client/errors.ts';
import type { ApiClient, K8sObject, ResourceRef } from '../client/types.ts';
import type { Rejection } from './pod-admission.ts';

export const RUNTIME_CLASSES: ResourceRef = Object.freeze({ group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses', kind: 'RuntimeClass', namespaced: false });

/** The handler this agent runs pods with. */
export const RUNC_HANDLER = 'runc';

export async function runtimeClassRejection(client: ApiClient, pod: Pod): Promise<Rejection | undefined> {
  const name = pod.spec?.runtimeClassName;
  if (!name) return undefined;
  let rc: K8sObject;
  try {
    rc = await client.get<K8sObject>(RUNTIME_CLASSES, '', name);
  } catch (err) {
    if (isNotFound(err)) return { reason: 'RuntimeClassNotFound', message: `Pod was rejected: RuntimeClass "${name}" not found` };
    throw err;
  }
  const handler = String((rc as { handler?: unknown }).handler ?? '');
  if (handler !== RUNC_HANDLER) return { reason: 'RuntimeHandlerNotSupported', message: `Pod was rejected: failed to get sandbox runtime: no runtime for "${handler}" is configured` };
  return undefined;
}
