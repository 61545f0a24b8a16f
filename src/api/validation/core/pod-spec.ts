/**
 * PodSpec and PodTemplateSpec validation (ValidatePodSpec / ValidatePodTemplateSpec upstream).
 * Runs after defaulting, so fields the defaulter fills (dnsPolicy, restartPolicy, ...) are required.
 */
import type { Pod, PodSpec, PodTemplateSpec, Toleration, Volume } from 'kubernetes-types/core/v1.js';
import { duplicate, forbidden, goStruct, invalid, notSupported, required, type FieldError, type GoField, type GoValue, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateAnnotations, validateLabelName, validateLabels } from '../meta.ts';
import { inclusiveRangeError, isDNS1123Subdomain, isValidLabelValue } from '../names.ts';
import { validateContainers, validateDNS1123Label, validateInitContainers } from './container.ts';
import { podHostUsers, validateHostNetworkPorts, validateHostUsers, validatePodSecurityContext, type SecurityContextOptions } from './security-context.ts';
import { validateOSFields, validateWindowsHostProcess } from './windows-options.ts';
import { validateEphemeralContainers } from './ephemeral-containers.ts';
import { validateVolumeSourcePaths } from './volume-sources.ts';
import { validateDNSConfigEntries, validateHostAliases } from './pod-dns-hosts.ts';
import { validateAnnotationsMatchFields, validatePodSpecificAnnotations, type PodAnnotationOptions } from './pod-annotations.ts';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const MAX_INT32 = 2147483647;

/** Every VolumeSource member; a volume must name exactly one. */
export const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
] as const;

export function validateRestartPolicy(policy: string | undefined, p: Path): FieldError[] {
  if (!policy) return [required(p)];
  return RESTART_POLICIES.includes(policy) ? [] : [notSupported(p, policy, RESTART_POLICIES)];
}

export function validateTaintEffect(effect: string | undefined, allowEmpty: boolean, p: Path): FieldError[] {
  if (!allowEmpty && !effect) return [required(p)];
  if (effect && !TAINT_EFFECTS.includes(effect)) return [notSupported(p, effect, TAINT_EFFECTS)];
  return [];
}

function validateVolumeSource(vol: Volume, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const rec = vol as unknown as Record<string, unknown>;
  const present = VOLUME_SOURCES.filter((s) => rec[s] !== undefined && rec[s] !== null);
  if (present.length === 0) return [required(p, 'must specify a volume type')];
  for (const extra of present.slice(1)) errs.push(forbidden(p.child(extra), 'may not specify more than 1 volume type'));
  if (vol.secret && !vol.secret.secretName) errs.push(required(p.child('secret', 'secretName')));
  if (vol.configMap && !vol.configMap.name) errs.push(required(p.child('configMap', 'name')));
  if (vol.persistentVolumeClaim && !vol.persistentVolumeClaim.claimName) errs.push(required(p.child('persistentVolumeClaim', 'claimName')));
  if (vol.hostPath && !vol.hostPath.path) errs.push(required(p.child('hostPath', 'path')));
  if (vol.nfs) {
    if (!vol.nfs.server) errs.push(required(p.child('nfs', 'server')));
    if (!vol.nfs.path) errs.push(required(p.child('nfs', 'path')));
    else if (!vol.nfs.path.startsWith('/')) errs.push(invalid(p.child('nfs', 'path'), vol.nfs.path, 'must be an absolute path'));
  }
  errs.push(...validateVolumeSourcePaths(vol, p));
  return errs;
}

export function validateVolumes(volumes: readonly Volume[] | undefined, p: Path): { names: Set<string>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((vol, i) => {
    const ip = p.index(i);
    const np = ip.child('name');
    const el = validateVolumeSource(vol, ip);
    if (!vol.name) el.push(required(np));
    else el.push(...validateDNS1123Label(vol.name, np));
    if (names.has(vol.name)) el.push(duplicate(np, vol.name));
    // Only valid volumes can be mounted, so a broken volume also makes its mounts "Not found".
    if (el.length === 0) names.add(vol.name);
    else errs.push(...el);
  });
  return { names, errs };
}

/** A toleration as upstream prints the bad value (%#v of core.Toleration). */
function goToleration(t: Toleration): GoValue {
  const fields: GoField[] = [['Key', undefined, t.key ?? ''], ['Operator', undefined, t.operator ?? ''], ['Value', undefined, t.value ?? ''], ['Effect', undefined, t.effect ?? '']];
  return goStruct('core.Toleration', [...fields, ['TolerationSeconds', '*int64', t.tolerationSeconds ?? undefined]]);
}

export function validateTolerations(tolerations: readonly Toleration[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const ip = p.index(i);
    if (t.key) errs.push(...validateLabelName(t.key, ip.child('key')));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalid(ip.child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(invalid(ip.child('effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length) errs.push(invalid(ip.child('operator'), t.value ?? '', msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value) errs.push(invalid(ip.child('operator'), goToleration(t), "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(ip.child('operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect) errs.push(...validateTaintEffect(t.effect, true, ip.child('effect')));
  });
  return errs;
}

function validateDNSPolicy(policy: string | undefined, p: Path): FieldError[] {
  if (!policy) return [required(p)];
  return DNS_POLICIES.includes(policy) ? [] : [notSupported(p, policy, DNS_POLICIES)];
}

function validateDNSConfig(spec: PodSpec, p: Path): FieldError[] {
  if (spec.dnsPolicy === 'None') {
    if (!spec.dnsConfig) return [required(p, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!spec.dnsConfig.nameservers?.length) return [required(p.child('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  return validateDNSConfigEntries(spec.dnsConfig, p);
}

export type PodSpecOptions = SecurityContextOptions & PodAnnotationOptions;

/** ValidatePodSpec, in upstream's order (for the checks this server makes). */
export function validatePodSpec(spec: PodSpec | undefined, p: Path, opts: PodSpecOptions = {}): FieldError[] {
  const s: PodSpec = spec ?? { containers: [] };
  const hostUsers = podHostUsers(s);
  const { names, errs } = validateVolumes(s.volumes, p.child('volumes'));
  errs.push(...validateContainers(s.containers, names, p.child('containers'), hostUsers, s.restartPolicy));
  errs.push(...validateInitContainers(s.initContainers, s.containers, names, p.child('initContainers'), hostUsers, s.restartPolicy));
  errs.push(...validateEphemeralContainers(s.ephemeralContainers, s.containers, s.initContainers, names, p.child('ephemeralContainers'), hostUsers));
  errs.push(...validateHostNetworkPorts(s, opts, p));
  errs.push(...validateRestartPolicy(s.restartPolicy, p.child('restartPolicy')));
  errs.push(...validateDNSPolicy(s.dnsPolicy, p.child('dnsPolicy')));
  errs.push(...validateLabels(s.nodeSelector, p.child('nodeSelector')));
  errs.push(...validatePodSecurityContext(s, opts, p));
  errs.push(...validateDNSConfig(s, p.child('dnsConfig')));
  errs.push(...validateWindowsHostProcess(s, p));
  errs.push(...validateHostUsers(s, p));
  if (s.serviceAccountName) {
    for (const m of nameIsDNSSubdomain(s.serviceAccountName, false)) errs.push(invalid(p.child('serviceAccountName'), s.serviceAccountName, m));
  }
  if (s.nodeName) {
    for (const m of nameIsDNSSubdomain(s.nodeName, false)) errs.push(invalid(p.child('nodeName'), s.nodeName, m));
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (v < 1 || v > MAX_INT32) errs.push(invalid(p.child('activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
  }
  if (s.hostname) errs.push(...validateDNS1123Label(s.hostname, p.child('hostname')));
  if (s.subdomain) errs.push(...validateDNS1123Label(s.subdomain, p.child('subdomain')));
  errs.push(...validateTolerations(s.tolerations, p.child('tolerations')));
  errs.push(...validateHostAliases(s.hostAliases, p.child('hostAliases')));
  if (s.priorityClassName) {
    for (const m of isDNS1123Subdomain(s.priorityClassName)) errs.push(invalid(p.child('priorityClassName'), s.priorityClassName, m));
  }
  (s.imagePullSecrets ?? []).forEach((ref, i) => {
    if (!ref.name) errs.push(required(p.child('imagePullSecrets').index(i).child('name')));
  });
  errs.push(...validateOSFields(s, p));
  return errs;
}

/**
 * ValidatePodTemplateSpec. Note the labels path: upstream reports template labels at
 * `<template>.labels`, not metadata. A StatefulSet's template (ValidatePodTemplateSpecForStatefulSet)
 * gets the pod-specific annotations but not the annotation/field agreement (`agreement` false).
 */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, p: Path, opts: PodSpecOptions = {}, agreement = true): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabels(t?.metadata?.labels, p.child('labels')));
  errs.push(...validateAnnotations(t?.metadata?.annotations, p.child('annotations')));
  const asPod: Pod = { metadata: t?.metadata, spec: t?.spec ?? { containers: [] } };
  errs.push(...validatePodSpecificAnnotations(asPod, opts, p.child('annotations')));
  errs.push(...validatePodSpec(t?.spec, p.child('spec'), opts));
  // validateSeccompAnnotationsAndFields and validateAppArmorAnnotationsAndFieldsMatchOnCreate, on every template write.
  if (agreement) errs.push(...validateAnnotationsMatchFields(asPod, p.child('spec')));
  if (t?.spec?.ephemeralContainers?.length) {
    errs.push(forbidden(p.child('spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}
