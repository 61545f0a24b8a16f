/**
 * The annotation-driven strategies of a PodSecurityPolicy (upstream podsecuritypolicy/{seccomp,
 * apparmor,sysctl}): seccomp and AppArmor profiles named in the policy's annotations, and the
 * safe / allowed-unsafe / forbidden sysctl patterns.
 */
import { goQuote } from '../pod-security/format.ts';
import { forbidden, type FieldError } from './field-error.ts';

type Obj = Record<string, any>;

export const SECCOMP_ALLOWED = 'seccomp.security.alpha.kubernetes.io/allowedProfileNames';
export const SECCOMP_DEFAULT = 'seccomp.security.alpha.kubernetes.io/defaultProfileName';
export const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
export const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
export const APPARMOR_ALLOWED = 'apparmor.security.beta.kubernetes.io/allowedProfileNames';
export const APPARMOR_DEFAULT = 'apparmor.security.beta.kubernetes.io/defaultProfileName';
export const APPARMOR_CONTAINER_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** The annotation value a seccompProfile field stands for (upstream's field → annotation mapping). */
function profileFromField(p: Obj | undefined): string {
  if (!p) return '';
  if (p.type === 'RuntimeDefault') return 'runtime/default';
  if (p.type === 'Unconfined') return 'unconfined';
  if (p.type === 'Localhost') return `localhost/${p.localhostProfile ?? ''}`;
  return '';
}

const splitList = (v: string | undefined): string[] => (v ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : []);

export interface SeccompStrategy {
  generate(pod: Obj): string;
  validatePod(pod: Obj): FieldError[];
  validateContainer(pod: Obj, container: Obj): FieldError[];
}

export function seccompStrategy(pspAnnotations: Record<string, string>): SeccompStrategy {
  const allowedString = pspAnnotations[SECCOMP_ALLOWED] ?? '';
  const allowed = new Set(splitList(pspAnnotations[SECCOMP_ALLOWED]));
  const allowAny = allowed.has('*');
  const defaultProfile = pspAnnotations[SECCOMP_DEFAULT] ?? '';
  const podProfile = (pod: Obj): string => pod.metadata?.annotations?.[SECCOMP_POD] ?? profileFromField(pod.spec?.securityContext?.seccompProfile);
  const check = (path: string, profile: string): FieldError[] => {
    if (!allowAny && allowed.size === 0 && profile !== '') return [forbidden(path, 'seccomp may not be set')];
    const ok = (allowed.size === 0 && profile === '') || allowAny || allowed.has(profile);
    return ok ? [] : [forbidden(path, `${profile} is not an allowed seccomp profile. Valid values are ${allowedString}`)];
  };
  return {
    generate: (pod) => (podProfile(pod) !== '' ? '' : defaultProfile),
    validatePod: (pod) => check(`pod.metadata.annotations[${SECCOMP_POD}]`, podProfile(pod)),
    validateContainer(pod, c) {
      const own = pod.metadata?.annotations?.[SECCOMP_CONTAINER_PREFIX + c.name] ?? profileFromField(c.securityContext?.seccompProfile);
      return check(`pod.metadata.annotations[${SECCOMP_CONTAINER_PREFIX}${c.name}]`, own || podProfile(pod));
    },
  };
}

export interface AppArmorStrategy {
  /** The pod's annotations with the default profile filled in for the container, if any. */
  generate(annotations: Record<string, string> | undefined, container: Obj): Record<string, string> | undefined;
  validate(pod: Obj, container: Obj): FieldError[];
}

export function appArmorStrategy(pspAnnotations: Record<string, string>): AppArmorStrategy {
  const defaultProfile = pspAnnotations[APPARMOR_DEFAULT] ?? '';
  const allowedString = pspAnnotations[APPARMOR_ALLOWED];
  const allowed = allowedString === undefined ? undefined : new Set(splitList(allowedString));
  return {
    generate(annotations, c) {
      const key = APPARMOR_CONTAINER_PREFIX + c.name;
      if (defaultProfile === '' || annotations?.[key] !== undefined) return annotations;
      return { ...annotations, [key]: defaultProfile };
    },
    validate(pod, c) {
      if (!allowed) return [];
      const key = APPARMOR_CONTAINER_PREFIX + c.name;
      const path = `pod.metadata.annotations[${key}]`;
      const profile: string = pod.metadata?.annotations?.[key] ?? '';
      if (profile === '') return allowed.size > 0 ? [forbidden(path, 'AppArmor profile must be set')] : [];
      if (!allowed.has(profile)) return [forbidden(path, `${profile} is not an allowed profile. Allowed values: ${goQuote(allowedString)}`)];
      return [];
    },
  };
}

/** Upstream's safe sysctls (pkg/kubelet/sysctl SafeSysctlAllowlist, 1.24). */
export const SAFE_SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];

/** "*" matches everything; "net.*" matches by prefix; anything else exactly. */
function matches(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => p === '*' || p === name || (p.endsWith('*') && name.startsWith(p.slice(0, -1))));
}

export function validateSysctls(spec: Obj, pod: Obj): FieldError[] {
  const forbiddenList: string[] = spec.forbiddenSysctls ?? [];
  const allowedUnsafe: string[] = spec.allowedUnsafeSysctls ?? [];
  const errs: FieldError[] = [];
  (pod.spec?.securityContext?.sysctls ?? []).forEach((s: Obj, i: number) => {
    const path = `pod.spec.securityContext.sysctls[${i}]`;
    if (matches(forbiddenList, s.name)) errs.push(forbidden(path, `sysctl ${goQuote(s.name)} is not allowed`));
    else if (SAFE_SYSCTLS.includes(s.name) || matches(allowedUnsafe, s.name)) return;
    else errs.push(forbidden(path, `unsafe sysctl ${goQuote(s.name)} is not allowed`));
  });
  return errs;
}
