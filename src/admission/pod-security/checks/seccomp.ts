/** seccompProfile_baseline and seccompProfile_restricted (upstream policy/check_seccompProfile_*.go). */
import { ALLOWED, forbidden, goQuote, joinQuote, pluralize, sortedUnique } from '../format.ts';
import type { CheckDefinition, CheckResult, PodMetaLike, PodSpecLike } from '../types.ts';
import { containerName, forEachContainer, isWindowsPod } from '../visit.ts';

const POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

function validAnnotationValue(v: string): boolean {
  return v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
}

function validType(t: string | null | undefined): boolean {
  return t === 'RuntimeDefault' || t === 'Localhost';
}

/** Before v1.19 seccomp was set through alpha annotations; only those are checked. */
function seccompBaseline10(meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const annotations = meta.annotations;
  if (annotations == null) return ALLOWED;
  const bad: string[] = [];
  const check = (key: string): void => {
    if (!Object.hasOwn(annotations, key)) return;
    const value = annotations[key]!;
    if (!validAnnotationValue(value)) bad.push(`${key}=${goQuote(value)}`);
  };
  check(POD_ANNOTATION);
  forEachContainer(spec, (c) => check(CONTAINER_ANNOTATION_PREFIX + containerName(c)));
  if (bad.length === 0) return ALLOWED;
  const list = sortedUnique(bad);
  return forbidden('seccompProfile', `forbidden ${pluralize('annotation', 'annotations', list.length)} ${list.join(', ')}`);
}

/**
 * The v1.19+ field check. `required` is the restricted variant: every container must end up with a
 * valid profile, from its own securityContext or the pod's.
 */
function seccompFields(spec: PodSpecLike, required: boolean): CheckResult {
  const setters: string[] = [];
  const badValues: string[] = [];
  let podSet = false;
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile != null) {
    if (!validType(podProfile.type)) {
      setters.push('pod');
      badValues.push(podProfile.type ?? '');
    } else {
      podSet = true;
    }
  }
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  forEachContainer(spec, (c) => {
    const profile = c.securityContext?.seccompProfile;
    if (profile != null) {
      if (!validType(profile.type)) {
        explicitlyBad.push(containerName(c));
        badValues.push(profile.type ?? '');
      }
    } else if (required && !podSet) {
      implicitlyBad.push(containerName(c));
    }
  });
  if (explicitlyBad.length > 0) setters.push(`${pluralize('container', 'containers', explicitlyBad.length)} ${joinQuote(explicitlyBad)}`);
  if (setters.length > 0) {
    return forbidden(
      'seccompProfile',
      `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(badValues))}`,
    );
  }
  if (implicitlyBad.length > 0) {
    return forbidden(
      'seccompProfile',
      `pod or ${pluralize('container', 'containers', implicitlyBad.length)} ${joinQuote(implicitlyBad)} ` +
        'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    );
  }
  return ALLOWED;
}

function seccompBaseline119(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  return seccompFields(spec, false);
}

function seccompRestricted119(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  return seccompFields(spec, true);
}

/** From v1.25 Windows pods are exempt: API validation forbids seccomp on them. */
function seccompRestricted125(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  return isWindowsPod(spec) ? ALLOWED : seccompFields(spec, true);
}

export const SECCOMP_BASELINE_ID = 'seccompProfile_baseline';

export const seccompChecks: readonly CheckDefinition[] = [
  {
    id: SECCOMP_BASELINE_ID,
    level: 'baseline',
    versions: [{ minVersion: 0, check: seccompBaseline10 }, { minVersion: 19, check: seccompBaseline119 }],
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { minVersion: 19, check: seccompRestricted119, overrides: [SECCOMP_BASELINE_ID] },
      { minVersion: 25, check: seccompRestricted125, overrides: [SECCOMP_BASELINE_ID] },
    ],
  },
];
