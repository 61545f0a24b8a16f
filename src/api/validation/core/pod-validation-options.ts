/**
 * GetValidationOptionsFromPodSpecAndMeta and GetValidationOptionsFromPodTemplate (pkg/api/pod/util.go,
 * 1.33): on an update, what the stored pod or template already has stays allowed, so an object stored
 * before a newer rule can still be updated. Only the options whose checks this server makes are
 * derived; the rest are constant at 1.33's defaults or guard checks not ported here:
 * AllowRelaxedEnvironmentVariableValidation, AllowRelaxedDNSSearchValidation,
 * AllowPodLifecycleSleepActionZeroValue and AllowSidecarResizePolicy are on by their 1.33 feature
 * gates; AllowIndivisibleHugePagesValues, AllowInvalidLabelValueInSelector,
 * AllowInvalidLabelValueInRequiredNodeAffinity, AllowInvalidTopologySpreadConstraintLabelSelector
 * and AllowNonLocalProjectedTokenPath guard checks this server does not make.
 * With no old object (a create) every option is off: the strict rules.
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { PodSpec, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { path } from '../field-errors.ts';
import { hasInvalidDeletionCost } from './deletion-cost.ts';
import { TOLERATIONS_ANNOTATION } from './tolerations-annotation.ts';
import { hostSysctlError, type PodSecurityContext133 } from './security-context.ts';
import type { PodSpecOptions } from './pod-spec.ts';

/** Only whether hostSysctlError finds an error matters here. */
const NO_PATH = path('');

/** The options an update takes from the old pod's (or template's) spec and metadata. */
export function podUpdateOptions(oldSpec: PodSpec | undefined | null, oldMeta: ObjectMeta | undefined | null): PodSpecOptions {
  const opts: PodSpecOptions = {};
  if (oldSpec) {
    const sc: PodSecurityContext133 | undefined = oldSpec.securityContext;
    // A namespaced sysctl in a namespace the pod shares with the host (allowed before 1.27).
    if (sc?.sysctls?.some((s) => hostSysctlError(s.name ?? '', oldSpec, NO_PATH) !== undefined)) opts.allowNamespacedSysctlsForHostNetAndHostIPC = true;
    // useOnlyRecursiveSELinuxChangePolicy: any policy in the old object keeps every policy allowed.
    if (sc?.seLinuxChangePolicy !== undefined && sc.seLinuxChangePolicy !== null) opts.allowAllSELinuxChangePolicies = true;
  }
  // "This is an update, so validate only if the existing object was valid."
  if (oldMeta && hasInvalidDeletionCost(oldMeta.annotations)) opts.allowInvalidPodDeletionCost = true;
  const tolerations = oldMeta?.annotations?.[TOLERATIONS_ANNOTATION];
  if (tolerations) opts.storedTolerationsAnnotation = tolerations;
  return opts;
}

/** GetValidationOptionsFromPodTemplate(new, old) on an update of a workload or PodTemplate. */
export function templateUpdateOptions(old: PodTemplateSpec | undefined | null): PodSpecOptions {
  return old ? podUpdateOptions(old.spec, old.metadata) : {};
}
