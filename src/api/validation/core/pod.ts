/**
 * Pod create and update validation. On update almost all of the spec is frozen: upstream "munges"
 * the few mutable fields from the new spec into the old one and rejects any remaining difference.
 */
import type { Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, path, required, type FieldError, type Path } from '../field-errors.ts';
import { semanticEqual, TYPES } from '../equality.ts';
import { inclusiveRangeError } from '../names.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { validatePodSpec, validateTolerations, type PodSpecOptions } from './pod-spec.ts';
import { podUpdateOptions } from './pod-validation-options.ts';
import { validateAnnotationsMatchFields, validatePodAnnotationUpdates, validatePodSpecificAnnotations } from './pod-annotations.ts';
import { STATIC_POD_ERROR, validateEphemeralContainerChanges } from './ephemeral-containers.ts';
import { validatePodResize } from './pod-resize.ts';
import { validatePodStatusFields } from './pod-status.ts';

const MAX_INT32 = 2147483647;

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

interface PodOptions extends PodSpecOptions {
  /** Set by validatePodUpdate: ValidatePodCreate's own checks are for creation only. */
  update?: boolean;
}

/**
 * ValidatePodCreate (validatePodMetadataAndSpec plus the create-only annotation/field agreement).
 * The pod-specific annotations come before the spec, as upstream reports them.
 */
export function validatePod(pod: Pod, opts: PodOptions = {}): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validatePodSpecificAnnotations(pod, opts));
  errs.push(...validatePodSpec(pod.spec, path('spec'), { ...opts, resourceIsPod: true }));
  if (opts.update) return errs;
  // Ephemeral containers come only through the pods/ephemeralcontainers subresource.
  if (pod.spec?.ephemeralContainers?.length) errs.push(forbidden(path('spec', 'ephemeralContainers'), 'cannot be set on create'));
  errs.push(...validateAnnotationsMatchFields(pod));
  return errs;
}

/** Where validatePodUpdate keeps validatePod's metadata errors: only the pod-specific annotation ones. */
const POD_SPECIFIC_ANNOTATION_PATHS = [
  'metadata.annotations[kubernetes.io/config.mirror]',
  'metadata.annotations[controller.kubernetes.io/pod-deletion-cost]',
  'metadata.annotations[container.apparmor.security.beta.kubernetes.io/',
  'metadata.annotations.',
];

function validateContainerUpdates(
  next: PodSpec['containers'] | undefined,
  prev: PodSpec['containers'] | undefined,
  p: Path,
): { errs: FieldError[]; stop: boolean } {
  const n = next ?? [];
  const o = prev ?? [];
  if (n.length !== o.length) return { errs: [forbidden(p, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    if (!c.image) errs.push(required(p.index(i).child('image')));
    else if (c.image.trim() !== c.image) errs.push(invalid(p.index(i).child('image'), c.image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function onlyAddedTolerations(next: readonly Toleration[] | undefined, prev: readonly Toleration[] | undefined, p: Path): FieldError[] {
  for (const old of prev ?? []) {
    // tolerationSeconds may change; everything else about an existing toleration is fixed.
    const found = (next ?? []).some((t) => semanticEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [forbidden(p, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, p);
}

/** A readable stand-in for upstream's cmp.Diff: one line per changed top-level spec field. */
function specDiff(oldSpec: PodSpec, newSpec: PodSpec): string {
  const o = oldSpec as unknown as Record<string, unknown>;
  const n = newSpec as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(o), ...Object.keys(n)])].sort();
  const lines: string[] = [];
  for (const k of keys) {
    if (semanticEqual(o[k], n[k])) continue;
    lines.push(`-\t${k}: ${JSON.stringify(o[k] ?? null)}`, `+\t${k}: ${JSON.stringify(n[k] ?? null)}`);
  }
  return `  core.PodSpec{\n${lines.join('\n')}\n  }`;
}

export function validatePodUpdate(pod: Pod, old: Pod, subresource = ''): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  // GetValidationOptionsFromPodSpecAndMeta: what the stored pod already has stays allowed.
  const opts = podUpdateOptions(old.spec, old.metadata);
  // ValidatePodSpecificAnnotationUpdates: the mirror and AppArmor annotations are fixed, status
  // writes included, so no client turns its pod into a "mirror pod" (or one back) or changes its
  // AppArmor profile after admission judged it; then ValidatePodSpecificAnnotations.
  const annotationUpdates = () => [...validatePodAnnotationUpdates(pod, old), ...validatePodSpecificAnnotations(pod, opts)];
  // pods/status writes only status (the spec is the stored one), and upstream's
  // ValidatePodStatusUpdate checks metadata, not the spec: walking it again on every kubelet
  // status write costs time and would refuse a status write for a spec stored under older rules.
  // Its ValidatePodSpecificAnnotationUpdates still judges the written annotations against that spec.
  if (subresource === 'status') {
    errs.push(...annotationUpdates());
    errs.push(...validatePodStatusFields(pod, old));
    return errs;
  }
  // validatePodMetadataAndSpec, then ValidatePodSpecificAnnotationUpdates, as ValidatePodUpdate and
  // ValidatePodEphemeralContainersUpdate order them (a bad pod-specific annotation is reported by
  // both, as upstream's causes list it twice).
  const podErrs = validatePod(pod, { ...opts, update: true });
  errs.push(...podErrs.filter((e) => !e.field.startsWith('metadata.') || POD_SPECIFIC_ANNOTATION_PATHS.some((p) => e.field.startsWith(p))));
  errs.push(...annotationUpdates());
  // pods/ephemeralcontainers: ValidatePodEphemeralContainersUpdate (the write was narrowed to spec.ephemeralContainers).
  if (subresource === 'ephemeralcontainers') {
    const changes = validateEphemeralContainerChanges(pod, old);
    return changes === 'static' ? [STATIC_POD_ERROR] : [...errs, ...changes];
  }
  // pods/resize: ValidatePodResize instead of the update rules (the write was narrowed to resources).
  if (subresource === 'resize') return validatePodResize(pod, old, errs);
  const specPath = path('spec');
  const ns: PodSpec = pod.spec ?? { containers: [] };
  const os: PodSpec = old.spec ?? { containers: [] };

  for (const f of ['containers', 'initContainers'] as const) {
    const r = validateContainerUpdates(ns[f], os[f], specPath.child(f));
    errs.push(...r.errs);
    if (r.stop) return errs;
  }

  // activeDeadlineSeconds may be set from nil or lowered, never raised or removed.
  const nad = ns.activeDeadlineSeconds;
  const oad = os.activeDeadlineSeconds;
  if (nad !== undefined && nad !== null) {
    if (nad < 0 || nad > MAX_INT32) {
      errs.push(invalid(specPath.child('activeDeadlineSeconds'), nad, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (oad !== undefined && oad !== null && oad < nad) {
      errs.push(invalid(specPath.child('activeDeadlineSeconds'), nad, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (oad !== undefined && oad !== null) {
    errs.push(invalid(specPath.child('activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  }

  errs.push(...onlyAddedTolerations(ns.tolerations, os.tolerations, specPath.child('tolerations')));
  const oldGates = new Set((os.schedulingGates ?? []).map((g) => g.name));
  (ns.schedulingGates ?? []).forEach((g, i) => {
    if (!oldGates.has(g.name)) {
      errs.push(forbidden(specPath.child('schedulingGates').index(i).child('name'), `only deletion is allowed, but found new scheduling gate '${g.name}'`));
    }
  });

  if (semanticEqual(ns, os, TYPES.podSpec)) return errs;

  const munged: PodSpec = structuredClone(ns);
  munged.containers = (munged.containers ?? []).map((c, i) => ({ ...c, image: os.containers?.[i]?.image ?? c.image }));
  if (munged.initContainers) {
    munged.initContainers = munged.initContainers.map((c, i) => ({ ...c, image: os.initContainers?.[i]?.image ?? c.image }));
  }
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  munged.tolerations = os.tolerations;
  // A negative grace period (legacy) may be fixed up to 1.
  const oldGrace = os.terminationGracePeriodSeconds;
  if (oldGrace !== undefined && oldGrace !== null && oldGrace < 0 && ns.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  // Scheduling gates may only be removed; while gated, node selection may still be refined.
  munged.schedulingGates = os.schedulingGates;
  if (!semanticEqual(munged, os, TYPES.podSpec)) {
    errs.push(forbidden(specPath, `${POD_UPDATE_FORBIDDEN}\n${specDiff(os, munged)}`));
  }
  return errs;
}
