/**
 * Pod and container securityContext validation after upstream 1.33 pkg/apis/core/validation:
 * validatePodSpecSecurityContext (with validateSysctls / ValidateHostSysctl), ValidateSecurityContext,
 * validateSeccompProfileField, ValidateAppArmorProfileField and the PodSpec-wide rules tied to them
 * (validatePodHostNetworkDeps, validateHostUsers). The Windows rules are in windows-options.ts.
 *
 * Upstream validates the internal PodSpec, whose SecurityContext also carries hostNetwork, hostPID,
 * hostIPC, shareProcessNamespace and hostUsers (spec-level in v1); field paths are upstream's, so
 * e.g. a shareProcessNamespace error reads spec.securityContext.shareProcessNamespace.
 *
 * Not checked, as upstream: capability names, seLinuxOptions' contents, runAsNonRoot. A privileged
 * container is refused ("disallowed by cluster policy") unless the server runs with
 * --allow-privileged (capabilities.ts), as kube-apiserver.
 */
import { Buffer } from 'node:buffer';
import type { AppArmorProfile, PodSecurityContext, PodSpec, SeccompProfile, SecurityContext } from 'kubernetes-types/core/v1.js';
import { duplicate, forbidden, GoValue, goStruct, invalid, notSupported, required, tooLong, type FieldError, type Path } from '../field-errors.ts';
import { inclusiveRangeError } from '../names.ts';
import { validateWindowsOptions } from './windows-options.ts';
import { capabilities } from '../capabilities.ts';
import { isValidSysctlName, SYSCTL_CONTAIN_SLASH_FMT, SYSCTL_MAX_LENGTH, sysctlNamespace } from '../../../util/sysctl-names.ts';

/** The 1.33 fields the kubernetes-types version here lacks. */
export type PodSecurityContext133 = PodSecurityContext & { supplementalGroupsPolicy?: string; seLinuxChangePolicy?: string };

export interface SecurityContextOptions {
  /** ResourceIsPod: a Pod rather than a template (hostPort 0 is allowed in templates with hostNetwork). */
  resourceIsPod?: boolean;
  /** AllowNamespacedSysctlsForHostNetAndHostIPC: the old object already had such sysctls (updates only). */
  allowNamespacedSysctlsForHostNetAndHostIPC?: boolean;
  /**
   * Not AllowOnlyRecursiveSELinuxChangePolicy (useOnlyRecursiveSELinuxChangePolicy): the old object
   * already had a seLinuxChangePolicy (updates only). With SELinuxMount off, as in 1.33, anything
   * else may only ask for Recursive.
   */
  allowAllSELinuxChangePolicies?: boolean;
}

const MAX_ID = 2147483647;
const ID_RANGE = inclusiveRangeError(0, MAX_ID);
const SYSCTL_NAME_ERROR = `must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ^${SYSCTL_CONTAIN_SLASH_FMT}$`;
const FS_GROUP_CHANGE_POLICIES = ['Always', 'OnRootMismatch'];
const SUPPLEMENTAL_GROUPS_POLICIES = ['Merge', 'Strict'];
const SELINUX_CHANGE_POLICIES = ['MountOption', 'Recursive'];
const SELINUX_CHANGE_POLICIES_RECURSIVE_ONLY = ['Recursive'];
const SECCOMP_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];
const APPARMOR_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];
const PROC_MOUNT_TYPES = ['Default', 'Unmasked'];
const MAX_LOCALHOST_APPARMOR_PROFILE = 4095;

const set = <T>(v: T | undefined | null): v is T => v !== undefined && v !== null;

/** IsValidUserID / IsValidGroupID: both are 0..MaxInt32. */
function idErrors(id: number | undefined | null, p: Path): FieldError[] {
  if (!set(id) || (id >= 0 && id <= MAX_ID)) return [];
  return [invalid(p, id, ID_RANGE)];
}

/** The default of hostUsers is true; only an explicit false asks for a user namespace. */
export function podHostUsers(spec: PodSpec): boolean {
  return spec.hostUsers !== false;
}

/** validateLocalDescendingPath: relative, no ".." element. */
function localDescendingPath(target: string, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(p, target, 'must be a relative path'));
  if (target.split('/').includes('..')) errs.push(invalid(p, target, "must not contain '..'"));
  return errs;
}

function goSeccompProfile(sp: SeccompProfile): GoValue {
  return goStruct('core.SeccompProfile', [['Type', undefined, sp.type ?? ''], ['LocalhostProfile', '*string', sp.localhostProfile]]);
}

/** core.SecurityContext's fields in Go's order: JSON key, Go name, Go type. */
const GO_SECURITY_CONTEXT: ReadonlyArray<readonly [keyof SecurityContext, string, string]> = [
  ['capabilities', 'Capabilities', '*core.Capabilities'], ['privileged', 'Privileged', '*bool'], ['seLinuxOptions', 'SELinuxOptions', '*core.SELinuxOptions'],
  ['windowsOptions', 'WindowsOptions', '*core.WindowsSecurityContextOptions'], ['runAsUser', 'RunAsUser', '*int64'], ['runAsGroup', 'RunAsGroup', '*int64'],
  ['runAsNonRoot', 'RunAsNonRoot', '*bool'], ['readOnlyRootFilesystem', 'ReadOnlyRootFilesystem', '*bool'], ['allowPrivilegeEscalation', 'AllowPrivilegeEscalation', '*bool'],
  ['procMount', 'ProcMount', '*core.ProcMountType'], ['seccompProfile', 'SeccompProfile', '*core.SeccompProfile'], ['appArmorProfile', 'AppArmorProfile', '*core.AppArmorProfile'],
];

function goSecurityContext(sc: SecurityContext): GoValue {
  return goStruct('core.SecurityContext', GO_SECURITY_CONTEXT.map(([key, name, type]) => [name, type, sc[key]]));
}

export function validateSeccompProfileField(sp: SeccompProfile | undefined | null, p: Path): FieldError[] {
  if (!sp) return [];
  const errs: FieldError[] = [];
  const type = sp.type ?? '';
  if (type === '') errs.push(required(p.child('type'), 'type is required when seccompProfile is set'));
  else if (!SECCOMP_TYPES.includes(type)) errs.push(notSupported(p.child('type'), type, SECCOMP_TYPES));
  if (type === 'Localhost') {
    if (!set(sp.localhostProfile)) errs.push(required(p.child('localhostProfile'), 'must be set when seccomp type is Localhost'));
    else errs.push(...localDescendingPath(sp.localhostProfile, p.child('localhostProfile')));
  } else if (set(sp.localhostProfile)) {
    errs.push(invalid(p.child('localhostProfile'), goSeccompProfile(sp), 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

export function validateAppArmorProfileField(profile: AppArmorProfile | undefined | null, p: Path): FieldError[] {
  if (!profile) return [];
  const errs: FieldError[] = [];
  const lp = p.child('localhostProfile');
  switch (profile.type ?? '') {
    case 'Localhost': {
      const local = profile.localhostProfile;
      if (!set(local)) {
        errs.push(required(lp, 'must be set when AppArmor type is Localhost'));
        break;
      }
      if (local.trim() !== local) errs.push(invalid(lp, local, 'must not be padded with whitespace'));
      else if (local === '') errs.push(required(lp, 'must be set when AppArmor type is Localhost'));
      if (Buffer.byteLength(local) > MAX_LOCALHOST_APPARMOR_PROFILE) errs.push(tooLong(lp, '', MAX_LOCALHOST_APPARMOR_PROFILE));
      break;
    }
    case 'RuntimeDefault':
    case 'Unconfined':
      if (set(profile.localhostProfile)) errs.push(invalid(lp, profile.localhostProfile, 'can only be set when AppArmor type is Localhost'));
      break;
    case '':
      errs.push(required(p.child('type'), 'type is required when appArmorProfile is set'));
      break;
    default:
      errs.push(notSupported(p.child('type'), profile.type, APPARMOR_TYPES));
  }
  return errs;
}

/** ValidateSecurityContext: a container's securityContext (validateContainerCommon's last check). */
export function validateContainerSecurityContext(sc: SecurityContext | undefined | null, hostUsers: boolean, p: Path): FieldError[] {
  if (!sc) return [];
  const errs: FieldError[] = [];
  if (sc.privileged === true && !capabilities().allowPrivileged) errs.push(forbidden(p.child('privileged'), 'disallowed by cluster policy'));
  errs.push(...idErrors(sc.runAsUser, p.child('runAsUser')));
  errs.push(...idErrors(sc.runAsGroup, p.child('runAsGroup')));
  if (set(sc.procMount)) {
    if (!PROC_MOUNT_TYPES.includes(sc.procMount)) errs.push(notSupported(p.child('procMount'), sc.procMount, PROC_MOUNT_TYPES));
    if (hostUsers && sc.procMount === 'Unmasked') errs.push(invalid(p.child('procMount'), sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  errs.push(...validateSeccompProfileField(sc.seccompProfile, p.child('seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(invalid(p, goSecurityContext(sc), 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    for (const cap of sc.capabilities?.add ?? []) {
      if (cap === 'CAP_SYS_ADMIN') errs.push(invalid(p, goSecurityContext(sc), 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  errs.push(...validateWindowsOptions(sc.windowsOptions, p.child('windowsOptions')));
  errs.push(...validateAppArmorProfileField(sc.appArmorProfile, p.child('appArmorProfile')));
  return errs;
}

/** ValidateHostSysctl: a namespaced sysctl in a namespace the pod shares with the host. */
export function hostSysctlError(name: string, spec: PodSpec, p: Path): FieldError | undefined {
  const ns = sysctlNamespace(name);
  if (spec.hostNetwork && ns === 'net') return invalid(p, name, "may not be specified when 'hostNetwork' is true");
  if (spec.hostIPC && ns === 'ipc') return invalid(p, name, "may not be specified when 'hostIPC' is true");
  return undefined;
}

function validateSysctls(spec: PodSpec, sc: PodSecurityContext, opts: SecurityContextOptions, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (sc.sysctls ?? []).forEach((s, i) => {
    const np = p.index(i).child('name');
    const name = s.name ?? '';
    if (name.length === 0) errs.push(required(np));
    else if (!isValidSysctlName(name)) errs.push(invalid(np, name, SYSCTL_NAME_ERROR));
    else if (names.has(name)) errs.push(duplicate(np, name));
    if (!opts.allowNamespacedSysctlsForHostNetAndHostIPC) {
      const e = hostSysctlError(name, spec, np);
      if (e) errs.push(e);
    }
    names.add(name);
  });
  return errs;
}

/** validatePodSpecSecurityContext. */
export function validatePodSecurityContext(spec: PodSpec, opts: SecurityContextOptions, specPath: Path): FieldError[] {
  const sc: PodSecurityContext133 = spec.securityContext ?? {};
  const p = specPath.child('securityContext');
  const errs: FieldError[] = [];
  errs.push(...idErrors(sc.fsGroup, p.child('fsGroup')));
  errs.push(...idErrors(sc.runAsUser, p.child('runAsUser')));
  errs.push(...idErrors(sc.runAsGroup, p.child('runAsGroup')));
  (sc.supplementalGroups ?? []).forEach((gid, i) => errs.push(...idErrors(gid, p.child('supplementalGroups').index(i))));
  if (spec.shareProcessNamespace === true && spec.hostPID) {
    errs.push(invalid(p.child('shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  if (sc.sysctls?.length) errs.push(...validateSysctls(spec, sc, opts, p.child('sysctls')));
  if (set(sc.fsGroupChangePolicy) && !FS_GROUP_CHANGE_POLICIES.includes(sc.fsGroupChangePolicy)) {
    errs.push(notSupported(p.child('fsGroupChangePolicy'), sc.fsGroupChangePolicy, FS_GROUP_CHANGE_POLICIES));
  }
  errs.push(...validateSeccompProfileField(sc.seccompProfile, p.child('seccompProfile')));
  errs.push(...validateWindowsOptions(sc.windowsOptions, p.child('windowsOptions')));
  errs.push(...validateAppArmorProfileField(sc.appArmorProfile, p.child('appArmorProfile')));
  if (set(sc.supplementalGroupsPolicy) && !SUPPLEMENTAL_GROUPS_POLICIES.includes(sc.supplementalGroupsPolicy)) {
    errs.push(notSupported(p.child('supplementalGroupsPolicy'), sc.supplementalGroupsPolicy, SUPPLEMENTAL_GROUPS_POLICIES));
  }
  if (set(sc.seLinuxChangePolicy)) {
    const allowed = opts.allowAllSELinuxChangePolicies ? SELINUX_CHANGE_POLICIES : SELINUX_CHANGE_POLICIES_RECURSIVE_ONLY;
    if (!allowed.includes(sc.seLinuxChangePolicy)) errs.push(notSupported(p.child('seLinuxChangePolicy'), sc.seLinuxChangePolicy, allowed));
  }
  return errs;
}

/**
 * validatePodHostNetworkDeps: with hostNetwork a port's hostPort must equal its containerPort (a
 * template may leave it 0: it is defaulted when the pod is made). Regular containers only, as upstream.
 */
export function validateHostNetworkPorts(spec: PodSpec, opts: SecurityContextOptions, specPath: Path): FieldError[] {
  if (!spec.hostNetwork) return [];
  const errs: FieldError[] = [];
  (spec.containers ?? []).forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      const hp = port.hostPort ?? 0;
      if ((opts.resourceIsPod || hp !== 0) && hp !== port.containerPort) {
        errs.push(invalid(specPath.child('containers').index(ci).child('ports').index(pi).child('hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
  return errs;
}

/** validateHostUsers: a pod in its own user namespace shares no other namespace with the host. */
export function validateHostUsers(spec: PodSpec, specPath: Path): FieldError[] {
  if (podHostUsers(spec)) return [];
  const errs: FieldError[] = [];
  const msg = 'when `pod.Spec.HostUsers` is false';
  // Upstream's paths, capitals included.
  if (spec.hostNetwork) errs.push(forbidden(specPath.child('hostNetwork'), msg));
  if (spec.hostPID) errs.push(forbidden(specPath.child('HostPID'), msg));
  if (spec.hostIPC) errs.push(forbidden(specPath.child('HostIPC'), msg));
  return errs;
}
