/**
 * In-place pod resize (InPlacePodVerticalScaling, beta and on by default in 1.33): the resize
 * policy of a container (validateResizePolicy) and a write to pods/resize (ValidatePodResize),
 * as pkg/apis/core/validation does. The write has already been narrowed to the containers'
 * resources and resizePolicy (dropNonResizeUpdates in src/server/rest/pod-resize-strategy.ts).
 */
import type { Container, Pod, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import { duplicate, forbidden, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { semanticEqual, TYPES } from '../equality.ts';
import { addQty, cmpQty, parseQty, type Qty } from '../../quantity.ts';

const RESIZE_RESOURCES = ['cpu', 'memory'];
const RESIZE_POLICIES = ['NotRequired', 'RestartContainer'];
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** field.NewPath(""), as upstream reports the pod-wide refusals: printed "[]" (a root step with neither name nor index). */
const ROOT = '[]';

/** validateResizePolicy: cpu/memory once each, NotRequired or RestartContainer, only NotRequired under restartPolicy Never. */
export function validateResizePolicy(policies: Container['resizePolicy'], p: Path, podRestartPolicy: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (policies ?? []).forEach((pol, i) => {
    const name = pol.resourceName ?? '';
    if (seen.has(name)) errs.push(duplicate(p.index(i), name));
    seen.add(name);
    if (name === '') errs.push(required(p));
    else if (!RESIZE_RESOURCES.includes(name)) errs.push(notSupported(p, name, RESIZE_RESOURCES));
    const rp = pol.restartPolicy ?? '';
    if (rp === '') errs.push(required(p));
    else if (!RESIZE_POLICIES.includes(rp)) errs.push(notSupported(p, rp, RESIZE_POLICIES));
    if (podRestartPolicy === 'Never' && rp !== 'NotRequired') errs.push(invalid(p, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
  });
  return errs;
}

const positive = (q: unknown): Qty | undefined => {
  const v = parseQty(q);
  return v && v.nanos > 0n ? v : undefined;
};

function addTo(sum: Map<string, Qty>, name: string, q: Qty): void {
  const prev = sum.get(name);
  sum.set(name, prev ? addQty(prev, q) : q);
}

/** qos.ComputePodQOS (container-level resources): sums of positive cpu/memory requests and limits. */
export function computePodQos(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, Qty>();
  const limits = new Map<string, Qty>();
  let guaranteed = true;
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const [name, q] of Object.entries(c.resources?.requests ?? {})) {
      const v = RESIZE_RESOURCES.includes(name) ? positive(q) : undefined;
      if (v) addTo(requests, name, v);
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c.resources?.limits ?? {})) {
      const v = RESIZE_RESOURCES.includes(name) ? positive(q) : undefined;
      if (!v) continue;
      found.add(name);
      addTo(limits, name, v);
    }
    if (!found.has('memory') || !found.has('cpu')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || cmpQty(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** isRestartableInitContainer: a sidecar. */
export const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

/** isPodResizeRequestSupported: the first running container's status must report its resources. */
function resizeSupported(pod: Pod): boolean {
  for (const cs of pod.status?.containerStatuses ?? []) {
    if (cs.state?.running) return cs.resources !== undefined && cs.resources !== null;
  }
  return true;
}

function resourcesRemoved(next: Record<string, unknown> | undefined, prev: Record<string, unknown> | undefined): boolean {
  const n = next ?? {};
  return Object.keys(prev ?? {}).some((k) => !(k in n));
}

/** validateContainerResize: nothing removed; a memory limit lowered or added only with RestartContainer. */
function validateContainerResize(next: ResourceRequirements | undefined, prev: ResourceRequirements | undefined, policies: Container['resizePolicy'], p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (resourcesRemoved(next?.requests, prev?.requests)) errs.push(forbidden(p.child('requests'), 'resource requests cannot be removed'));
  if (resourcesRemoved(next?.limits, prev?.limits)) errs.push(forbidden(p.child('limits'), 'resource limits cannot be removed'));
  const memPolicy = (policies ?? []).find((x) => x.resourceName === 'memory')?.restartPolicy ?? '';
  if (memPolicy === 'NotRequired' || memPolicy === '') {
    const nl = next?.limits?.['memory'];
    const ol = prev?.limits?.['memory'];
    const limPath = p.child('limits').key('memory');
    if (nl !== undefined && ol !== undefined) {
      const a = parseQty(nl);
      const b = parseQty(ol);
      if (a && b && cmpQty(a, b) < 0) errs.push(forbidden(limPath, 'memory limits cannot be decreased unless resizePolicy is RestartContainer'));
    } else if (nl !== undefined) {
      // Adding a memory limit lowers it from 'max'.
      errs.push(forbidden(limPath, 'memory limits cannot be added unless resizePolicy is RestartContainer'));
    }
  }
  return errs;
}

/** The container with its cpu and memory requests and limits put back to the old ones (dropCPUMemoryResourcesFromContainer). */
function withOldCpuMemory(c: Container, old: Container): Container {
  const munge = (list: Record<string, unknown> | undefined, oldList: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
    if (!oldList) return undefined;
    const out: Record<string, unknown> = { ...(list ?? {}) };
    delete out['cpu'];
    delete out['memory'];
    if (oldList['cpu'] !== undefined) out['cpu'] = oldList['cpu'];
    if (oldList['memory'] !== undefined) out['memory'] = oldList['memory'];
    return out;
  };
  const resources: ResourceRequirements = {};
  const limits = munge(c.resources?.limits, old.resources?.limits);
  const requests = munge(c.resources?.requests, old.resources?.requests);
  if (limits) resources.limits = limits as ResourceRequirements['limits'];
  if (requests) resources.requests = requests as ResourceRequirements['requests'];
  return { ...c, resources };
}

/**
 * ValidatePodResize given the metadata and spec errors validatePodUpdate found (dropped, as
 * upstream drops them, when the pod cannot be resized at all): pod-level resources, static and
 * Windows pods refused; QoS class unchanged; the node must report the
 * running containers' resources; only cpu and memory of regular and sidecar containers change.
 */
export function validatePodResize(pod: Pod, old: Pod, metaAndSpecErrs: readonly FieldError[] = []): FieldError[] {
  const hasPodLevel = (x: Pod): boolean => {
    // Pod-level resources (PodLevelResources, 1.32+): not in kubernetes-types' PodSpec yet.
    const r = (x.spec as { resources?: ResourceRequirements } | undefined)?.resources;
    return Object.keys(r?.requests ?? {}).length + Object.keys(r?.limits ?? {}).length > 0;
  };
  if (hasPodLevel(old) || hasPodLevel(pod)) return [forbidden(ROOT, 'pods with pod-level resources cannot be resized')];
  if (old.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return [forbidden(ROOT, 'static pods cannot be resized')];
  if (old.spec?.os?.name === 'windows') return [forbidden(ROOT, 'windows pods cannot be resized')];

  const errs: FieldError[] = [...metaAndSpecErrs];
  const specPath = path('spec');
  const oldQos = old.status?.qosClass || computePodQos(old);
  if (oldQos !== computePodQos(pod)) errs.push(invalid(specPath, pod.status?.qosClass ?? '', 'Pod QOS Class may not change as a result of resizing'));
  if (!resizeSupported(old)) errs.push(forbidden(specPath, 'Pod running on node without support for resize'));

  const nc = pod.spec?.containers ?? [];
  const oc = old.spec?.containers ?? [];
  const ni = pod.spec?.initContainers ?? [];
  const oi = old.spec?.initContainers ?? [];
  // dropNonResizeUpdates left a write that adds, removes or renames containers as sent: it changes more than resources.
  const sameShape = nc.length === oc.length && ni.length === oi.length && nc.every((c, i) => c.name === oc[i]?.name) && ni.every((c, i) => c.name === oi[i]?.name);
  if (!sameShape) return [...errs, forbidden(specPath, 'only cpu and memory resources are mutable')];

  oi.forEach((c, i) => {
    if (isSidecar(c)) errs.push(...validateContainerResize(ni[i]?.resources, c.resources, ni[i]?.resizePolicy, specPath.child('initContainers').index(i).child('resources')));
  });
  oc.forEach((c, i) => errs.push(...validateContainerResize(nc[i]?.resources, c.resources, nc[i]?.resizePolicy, specPath.child('containers').index(i).child('resources'))));

  const munged = structuredClone(pod.spec!);
  munged.containers = nc.map((c, i) => {
    const m = withOldCpuMemory(c, oc[i]!);
    if (!semanticEqual(m, oc[i], TYPES.container)) errs.push(forbidden(specPath, 'only cpu and memory resources are mutable'));
    return m;
  });
  munged.initContainers = ni.map((c, i) => {
    const o = oi[i]!;
    if (isSidecar(o)) {
      const m = withOldCpuMemory(c, o);
      if (!semanticEqual(m, o, TYPES.container)) errs.push(forbidden(specPath, 'only cpu and memory resources for sidecar containers are mutable'));
      return m;
    }
    if (!semanticEqual(c, o, TYPES.container)) errs.push(forbidden(specPath, 'resources for non-sidecar init containers are immutable'));
    return c;
  });
  if (errs.length > 0) return errs;
  if (!semanticEqual(munged, old.spec, TYPES.podSpec)) errs.push(forbidden(specPath, 'only cpu and memory resources are mutable'));
  return errs;
}
