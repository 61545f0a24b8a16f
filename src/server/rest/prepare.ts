import type { ResourceDef } from '../../api/registry/resource-def.ts';
import type { RestContext } from './context.ts';
import type { K8sObject } from './objects.ts';
import { jsonEqual } from '../../api/json-equal.ts';
import { rfc3339 } from '../../api/time.ts';
import { withZeroStatus } from './zero-status.ts';
import type { UserInfo } from '../../authn/types.ts';
import { isCsr, prepareCsrForCreate, prepareCsrForUpdate } from './csr-strategy.ts';
import { dropNonEphemeralContainerUpdates } from './pod-ephemeral-strategy.ts';
import { dropNonResizeUpdates } from './pod-resize-strategy.ts';
import { preparePodStatusUpdate } from './pod-status-strategy.ts';

/** Characters of generated name suffixes, as upstream (no vowels, no look-alikes). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_NAME_LENGTH = 63 - 5;

export function generateName(base: string, random: () => number): string {
  const prefix = base.length > MAX_GENERATED_NAME_LENGTH ? base.slice(0, MAX_GENERATED_NAME_LENGTH) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHANUMS[Math.floor(random() * ALPHANUMS.length)];
  return prefix + suffix;
}


/** Server-owned metadata and status on create (upstream's BeforeCreate + PrepareForCreate). */
export function prepareForCreate(ctx: RestContext, def: ResourceDef, obj: K8sObject, user?: UserInfo): void {
  const m = obj.metadata;
  if (!m.name && m.generateName) m.name = generateName(String(m.generateName), ctx.random);
  m.uid = ctx.newUid();
  m.creationTimestamp = rfc3339(ctx.now());
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
  if (def.generation || def.custom) m.generation = 1;
  else delete m.generation;
  if (def.status) resetStatusOnCreate(def, obj);
  if (isCsr(def)) prepareCsrForCreate(obj, user);
}

function resetStatusOnCreate(def: ResourceDef, obj: K8sObject): void {
  switch (def.kind) {
    case 'Pod':
      obj.status = { phase: 'Pending', qosClass: qosClass(obj) };
      return;
    case 'Namespace':
      obj.status = { phase: 'Active' };
      return;
    case 'PersistentVolume':
    case 'PersistentVolumeClaim':
      obj.status = { phase: 'Pending' };
      return;
    case 'Node':
      // The node agent registers with its status.
      return;
    default:
      if (def.custom) delete obj.status;
      else if (def.status) obj.status = withZeroStatus(def, undefined);
  }
}

/** Upstream's QoS class from the containers' requests and limits. */
export function qosClass(pod: K8sObject): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let anyResource = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) anyResource = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!anyResource) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * Server-owned fields on update (upstream's BeforeUpdate + PrepareForUpdate): identity and
 * deletion state come from the stored object; the main resource cannot change status and the
 * status subresource can change nothing but status; generation follows the spec.
 */
export function prepareForUpdate(def: ResourceDef, obj: K8sObject, old: K8sObject, subresource: string, now: () => Date): K8sObject {
  let next: K8sObject;
  if (subresource === 'status') {
    next = { ...old, metadata: { ...old.metadata }, status: obj.status };
    // Status writers may still change labels and annotations, as upstream's status strategies allow for most kinds.
    if (obj.metadata?.labels !== undefined) next.metadata.labels = obj.metadata.labels;
    if (obj.metadata?.annotations !== undefined) next.metadata.annotations = obj.metadata.annotations;
    if (obj.metadata?.managedFields !== undefined) next.metadata.managedFields = obj.metadata.managedFields;
  } else {
    next = subresource === 'resize' ? dropNonResizeUpdates(obj, old) : { ...obj, metadata: { ...obj.metadata } };
    if (def.status) {
      if (old.status === undefined) delete next.status;
      else next.status = old.status;
    }
  }
  if (next.status !== undefined || def.status) next.status = withZeroStatus(def, next.status);
  const m = next.metadata;
  m.uid = old.metadata.uid;
  m.creationTimestamp = old.metadata.creationTimestamp;
  if (old.metadata.deletionTimestamp) m.deletionTimestamp = old.metadata.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (old.metadata.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
  if (subresource === 'ephemeralcontainers') next = dropNonEphemeralContainerUpdates(next, old);
  if (subresource === 'status' && def.group === '' && def.kind === 'Pod') preparePodStatusUpdate(next, old);
  if (isCsr(def)) prepareCsrForUpdate(next, obj, old, subresource, now);
  if (def.generation || def.custom) {
    const oldGen = typeof old.metadata.generation === 'number' ? old.metadata.generation : 1;
    m.generation = specChanged(def, next, old) ? oldGen + 1 : oldGen;
  } else {
    delete m.generation;
  }
  return next;
}

/** Whether anything but metadata (and status, where status is a subresource) changed. */
function specChanged(def: ResourceDef, a: K8sObject, b: K8sObject): boolean {
  const strip = (o: K8sObject): Record<string, unknown> => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    if (!def.status && o.status !== undefined) (rest as Record<string, unknown>).status = o.status;
    return rest;
  };
  return !jsonEqual(strip(a), strip(b));
}
