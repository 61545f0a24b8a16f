/**
 * The pod annotations upstream validates with the pod (pkg/apis/core/validation, 1.33):
 * ValidatePodSpecificAnnotations (mirror pod needs nodeName; seccomp and AppArmor annotation values),
 * ValidatePodSpecificAnnotationUpdates (the mirror and AppArmor annotations can be neither added,
 * changed nor removed, status writes included: the agent still reads the AppArmor annotation, so it
 * may not change after admission judged the pod) and, on create only, validateSeccompAnnotationsAndFields /
 * validateAppArmorAnnotationsAndFieldsMatchOnCreate (an annotation and a field given for the same
 * container must agree).
 */
import type { AppArmorProfile, Container, Pod, PodSpec, SeccompProfile } from 'kubernetes-types/core/v1.js';
import { forbidden, goQuote, invalid, path, type FieldError, type Path } from '../field-errors.ts';
import { TOLERATIONS_ANNOTATION, validateTolerationsAnnotation } from './tolerations-annotation.ts';
import { hasInvalidDeletionCost, POD_DELETION_COST } from './deletion-cost.ts';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const LOCALHOST = 'localhost/';

const annotationsPath = path('metadata', 'annotations');

/** The pod's containers as VisitContainersWithPath walks them: init, regular, ephemeral. */
function containersWithPaths(spec: PodSpec, p: Path): Array<[Container, Path]> {
  return [
    ...(spec.initContainers ?? []).map((c, i): [Container, Path] => [c, p.child('initContainers').index(i)]),
    ...(spec.containers ?? []).map((c, i): [Container, Path] => [c, p.child('containers').index(i)]),
    ...(spec.ephemeralContainers ?? []).map((c, i): [Container, Path] => [c as Container, p.child('ephemeralContainers').index(i)]),
  ];
}

/** ValidateSeccompProfile: an annotation value. */
function seccompAnnotationErrors(value: string, p: Path): FieldError[] {
  if (value === 'runtime/default' || value === 'docker/default' || value === 'unconfined') return [];
  if (!value.startsWith(LOCALHOST)) return [invalid(p, value, 'must be a valid seccomp profile')];
  const rest = value.slice(LOCALHOST.length);
  const errs: FieldError[] = [];
  if (rest.startsWith('/')) errs.push(invalid(p, rest, 'must be a relative path'));
  if (rest.split('/').includes('..')) errs.push(invalid(p, rest, "must not contain '..'"));
  return errs;
}

/** The PodValidationOptions ValidatePodSpecificAnnotations reads. */
export interface PodAnnotationOptions {
  /** AllowInvalidPodDeletionCost: the old object already had an invalid deletion cost (updates only). */
  allowInvalidPodDeletionCost?: boolean;
  /**
   * The stored object's tolerations annotation (updates only): the same value is not judged again.
   * Upstream always checked it, so for anything upstream could have stored this changes no answer;
   * a pod stored here before the check keeps its status writes.
   */
  storedTolerationsAnnotation?: string;
}

/** ValidatePodSpecificAnnotations on the given annotations and spec. */
export function validatePodSpecificAnnotations(pod: Pod, opts: PodAnnotationOptions = {}, p: Path = annotationsPath): FieldError[] {
  const errs: FieldError[] = [];
  const annotations = pod.metadata?.annotations;
  if (!annotations) return errs;
  const spec: PodSpec = pod.spec ?? { containers: [] };
  const mirror = annotations[MIRROR_POD_ANNOTATION];
  if (mirror !== undefined && !spec.nodeName) {
    errs.push(invalid(p.key(MIRROR_POD_ANNOTATION), mirror, 'must set spec.nodeName if mirror pod annotation is set'));
  }
  const tolerations = annotations[TOLERATIONS_ANNOTATION];
  if (tolerations && tolerations !== opts.storedTolerationsAnnotation) errs.push(...validateTolerationsAnnotation(tolerations, p));
  if (!opts.allowInvalidPodDeletionCost && hasInvalidDeletionCost(annotations)) {
    errs.push(invalid(p.key(POD_DELETION_COST), annotations[POD_DELETION_COST], 'must be a 32bit integer'));
  }
  // Upstream names these with Child, not Key: metadata.annotations.seccomp.security.alpha.kubernetes.io/pod.
  const pod0 = annotations[SECCOMP_POD];
  if (pod0 !== undefined) errs.push(...seccompAnnotationErrors(pod0, p.child(SECCOMP_POD)));
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith(SECCOMP_CONTAINER_PREFIX)) errs.push(...seccompAnnotationErrors(v, p.child(k)));
  }
  let names: Set<string> | undefined;
  for (const [k, v] of Object.entries(annotations)) {
    if (!k.startsWith(APPARMOR_PREFIX)) continue;
    names ??= new Set(containersWithPaths(spec, path('spec')).map(([c]) => c.name));
    const name = k.slice(APPARMOR_PREFIX.length);
    if (!names.has(name)) errs.push(invalid(p.key(k), name, 'container not found'));
    if (v !== '' && v !== 'runtime/default' && v !== 'unconfined' && !v.startsWith(LOCALHOST)) {
      errs.push(invalid(p.key(k), v, `invalid AppArmor profile name: ${goQuote(v)}`));
    }
  }
  return errs;
}

/** ValidatePodSpecificAnnotationUpdates' own checks: what may not be added, changed or removed. */
export function validatePodAnnotationUpdates(pod: Pod, old: Pod): FieldError[] {
  const next = pod.metadata?.annotations ?? {};
  const prev = old.metadata?.annotations ?? {};
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(prev)) {
    if (k in next && next[k] === v) continue;
    if (k.startsWith(APPARMOR_PREFIX)) errs.push(forbidden(annotationsPath.key(k), 'may not remove or update AppArmor annotations'));
    if (k === MIRROR_POD_ANNOTATION) errs.push(forbidden(annotationsPath.key(k), 'may not remove or update mirror pod annotation'));
  }
  for (const k of Object.keys(next)) {
    if (k in prev) continue;
    if (k.startsWith(APPARMOR_PREFIX)) errs.push(forbidden(annotationsPath.key(k), 'may not add AppArmor annotations'));
    if (k === MIRROR_POD_ANNOTATION) errs.push(forbidden(annotationsPath.key(k), 'may not add mirror pod annotation'));
  }
  return errs;
}

/**
 * validateSeccompAnnotationsAndFieldsMatch and the AppArmor switch in
 * validateAppArmorAnnotationsAndFieldsMatchOnCreate: the same rule with their own words, and seccomp
 * also taking the old docker/default for RuntimeDefault.
 */
function profileMismatch(kind: 'seccomp' | 'apparmor', annotation: string, profile: SeccompProfile | AppArmorProfile, p: Path): FieldError | undefined {
  const typeMismatch = forbidden(p.child('type'), `${kind} type in annotation and field must match`);
  switch (profile.type) {
    case 'Unconfined':
      return annotation === 'unconfined' ? undefined : typeMismatch;
    case 'RuntimeDefault':
      return annotation === 'runtime/default' || (kind === 'seccomp' && annotation === 'docker/default') ? undefined : typeMismatch;
    case 'Localhost':
      if (!annotation.startsWith(LOCALHOST)) return typeMismatch;
      if (annotation.slice(LOCALHOST.length) !== profile.localhostProfile) return forbidden(p.child('localhostProfile'), `${kind} profile in annotation and field must match`);
      return undefined;
    default:
      return undefined;
  }
}

/** ValidatePodCreate's (and ValidatePodTemplateSpec's) annotation/field agreement checks (seccomp, then AppArmor). */
export function validateAnnotationsMatchFields(pod: Pod, specPath: Path = path('spec')): FieldError[] {
  const annotations = pod.metadata?.annotations;
  // Nothing to disagree with (the common case, kept cheap on the create path).
  if (!annotations || !Object.keys(annotations).some((k) => k === SECCOMP_POD || k.startsWith(SECCOMP_CONTAINER_PREFIX) || k.startsWith(APPARMOR_PREFIX))) return [];
  const spec: PodSpec = pod.spec ?? { containers: [] };
  const errs: FieldError[] = [];
  const podSeccomp = spec.securityContext?.seccompProfile;
  const podSeccompAnnotation = annotations[SECCOMP_POD];
  if (podSeccomp && podSeccompAnnotation !== undefined) {
    const e = profileMismatch('seccomp', podSeccompAnnotation, podSeccomp, specPath.child('securityContext', 'seccompProfile'));
    if (e) errs.push(e);
  }
  const containers = containersWithPaths(spec, specPath);
  for (const [c, cp] of containers) {
    const field = c.securityContext?.seccompProfile;
    const a = annotations[SECCOMP_CONTAINER_PREFIX + c.name];
    const e = field && a !== undefined ? profileMismatch('seccomp', a, field, cp.child('securityContext', 'seccompProfile')) : undefined;
    if (e) errs.push(e);
  }
  if (spec.os?.name === 'windows') return errs;
  for (const [c, cp] of containers) {
    const profile = c.securityContext?.appArmorProfile ?? spec.securityContext?.appArmorProfile;
    const a = annotations[APPARMOR_PREFIX + c.name];
    const e = profile && a !== undefined ? profileMismatch('apparmor', a, profile, cp.child('securityContext', 'appArmorProfile')) : undefined;
    if (e) errs.push(e);
  }
  return errs;
}
