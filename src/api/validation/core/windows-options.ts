/**
 * The Windows side of pod validation after upstream 1.33 pkg/apis/core/validation:
 * validateWindowsSecurityContextOptions (pod and container windowsOptions), validateWindowsHostProcessPod
 * and validateOS with validateLinux / validateWindows (fields a pod of the other OS may not set).
 * hostProcess containers, like privileged ones, need the server's --allow-privileged (capabilities.ts).
 */
import { Buffer } from 'node:buffer';
import type { Container, PodSpec, SecurityContext, WindowsSecurityContextOptions } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, notSupported, required, type FieldError, type Path } from '../field-errors.ts';
import { isDNS1123Subdomain } from '../names.ts';
import type { PodSecurityContext133 } from './security-context.ts';
import { capabilities } from '../capabilities.ts';

const OS_NAMES = ['linux', 'windows'];
const set = <T>(v: T | undefined | null): v is T => v !== undefined && v !== null;

/** The pod's containers as VisitContainersWithPath walks them: init, regular, ephemeral. */
function visitContainers(spec: PodSpec, p: Path, fn: (c: Container, cp: Path) => void): void {
  (spec.initContainers ?? []).forEach((c, i) => fn(c, p.child('initContainers').index(i)));
  (spec.containers ?? []).forEach((c, i) => fn(c, p.child('containers').index(i)));
  (spec.ephemeralContainers ?? []).forEach((c, i) => fn(c as Container, p.child('ephemeralContainers').index(i)));
}

// validateWindowsSecurityContextOptions' limits and patterns (Go regexps, on runes).
const MAX_GMSA_KIB = 64;
const MAX_DOMAIN = 256;
const MAX_USER = 104;
const CONTROL = /[\x00-\x1f\x7f]/;
const NETBIOS = /^[^\\/:*?"<>|.][^\\/:*?"<>|]{0,14}$/u;
const DNS_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
const WINDOWS_DOMAIN_DNS = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);
const BAD_USER_CHARS = /["/\\:;|=,+*?<>@[\]]/;
const ONLY_DOTS_SPACES = /^[. ]+$/;

export function validateWindowsOptions(w: WindowsSecurityContextOptions | undefined | null, p: Path): FieldError[] {
  if (!w) return [];
  const errs: FieldError[] = [];
  if (set(w.gmsaCredentialSpecName)) {
    for (const m of isDNS1123Subdomain(w.gmsaCredentialSpecName)) errs.push(invalid(p.child('gmsaCredentialSpecName'), w.gmsaCredentialSpecName, m));
  }
  if (set(w.gmsaCredentialSpec)) {
    const len = Buffer.byteLength(w.gmsaCredentialSpec);
    if (len === 0) errs.push(invalid(p.child('gmsaCredentialSpec'), w.gmsaCredentialSpec, 'gmsaCredentialSpec cannot be an empty string'));
    else if (len > MAX_GMSA_KIB * 1024) errs.push(invalid(p.child('gmsaCredentialSpec'), w.gmsaCredentialSpec, `gmsaCredentialSpec size must be under ${MAX_GMSA_KIB} KiB`));
  }
  if (set(w.runAsUserName)) errs.push(...runAsUserNameErrors(w.runAsUserName, p.child('runAsUserName')));
  return errs;
}

function runAsUserNameErrors(name: string, p: Path): FieldError[] {
  const bad = (m: string): FieldError => invalid(p, name, m);
  if (name.length === 0) return [bad('runAsUserName cannot be an empty string')];
  if (CONTROL.test(name)) return [bad('runAsUserName cannot contain control characters')];
  const parts = name.split('\\');
  if (parts.length > 2) return [bad('runAsUserName cannot contain more than one backslash')];
  const hasDomain = parts.length === 2;
  const domain = hasDomain ? (parts[0] ?? '') : '';
  const user = (hasDomain ? parts[1] : parts[0]) ?? '';
  const errs: FieldError[] = [];
  if (Buffer.byteLength(domain) >= MAX_DOMAIN) errs.push(bad(`runAsUserName's Domain length must be under ${MAX_DOMAIN} characters`));
  if (hasDomain && !(NETBIOS.test(domain) || WINDOWS_DOMAIN_DNS.test(domain))) errs.push(bad("runAsUserName's Domain doesn't match the NetBios nor the DNS format"));
  const userLen = Buffer.byteLength(user);
  if (userLen === 0) errs.push(bad("runAsUserName's User cannot be empty"));
  else if (userLen > MAX_USER) errs.push(bad(`runAsUserName's User length must not be longer than ${MAX_USER} characters`));
  if (ONLY_DOTS_SPACES.test(user)) errs.push(bad("runAsUserName's User cannot contain only periods or spaces"));
  if (BAD_USER_CHARS.test(user)) errs.push(bad('runAsUserName\'s User cannot contain the following characters: "/\\:;|=,+*?<>@[]'));
  return errs;
}

/** validateWindowsHostProcessPod. */
export function validateWindowsHostProcess(spec: PodSpec, specPath: Path): FieldError[] {
  const errs: FieldError[] = [];
  const podHostProcess = spec.securityContext?.windowsOptions?.hostProcess;
  // Nothing to check unless someone asked for hostProcess (the common case, kept cheap).
  const any = (cs: readonly Container[] | undefined) => cs?.some((c) => set(c.securityContext?.windowsOptions?.hostProcess)) ?? false;
  if (!set(podHostProcess) && !any(spec.initContainers) && !any(spec.containers) && !any(spec.ephemeralContainers as Container[] | undefined)) return errs;
  let containers = 0;
  let hostProcess = 0;
  visitContainers(spec, specPath, (c, cp) => {
    containers++;
    const own = c.securityContext?.windowsOptions?.hostProcess;
    if (set(podHostProcess) && set(own) && podHostProcess !== own) {
      errs.push(invalid(cp.child('securityContext', 'windowsOptions', 'hostProcess'), own, `pod hostProcess value must be identical if both are specified, was ${podHostProcess}`));
    }
    if (own === true || (!set(own) && podHostProcess === true)) hostProcess++;
  });
  if (hostProcess > 0) {
    if (hostProcess !== containers) errs.push(invalid(specPath, '', 'If pod contains any hostProcess containers then all containers must be HostProcess containers'));
    if (!spec.hostNetwork) errs.push(invalid(specPath.child('hostNetwork'), false, 'hostNetwork must be true if pod contains any hostProcess containers'));
    if (!capabilities().allowPrivileged) errs.push(forbidden(specPath, 'hostProcess containers are disallowed by cluster policy'));
  }
  return errs;
}

/** validateOS, then validateLinux or validateWindows for a valid os.name. */
export function validateOSFields(spec: PodSpec, specPath: Path): FieldError[] {
  const os = spec.os;
  if (!os) return [];
  const p = specPath.child('os');
  if (!os.name) return [required(p.child('name'), 'cannot be empty')];
  if (!OS_NAMES.includes(os.name)) return [notSupported(p, os.name, OS_NAMES)];
  return os.name === 'linux' ? linuxOnly(spec, specPath) : windowsOnly(spec, specPath);
}

function linuxOnly(spec: PodSpec, specPath: Path): FieldError[] {
  const errs: FieldError[] = [];
  const msg = 'windows options cannot be set for a linux pod';
  if (spec.securityContext?.windowsOptions) errs.push(forbidden(specPath.child('securityContext', 'windowsOptions'), msg));
  visitContainers(spec, specPath, (c, cp) => {
    if (c.securityContext?.windowsOptions) errs.push(forbidden(cp.child('securityContext', 'windowsOptions'), msg));
  });
  return errs;
}

const WINDOWS_CONTAINER_FORBIDDEN: ReadonlyArray<keyof SecurityContext> = [
  'appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged',
  'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup',
];

function windowsOnly(spec: PodSpec, specPath: Path): FieldError[] {
  const errs: FieldError[] = [];
  const msg = 'cannot be set for a windows pod';
  const sc: PodSecurityContext133 = spec.securityContext ?? {};
  const scPath = specPath.child('securityContext');
  for (const f of ['appArmorProfile', 'seLinuxOptions'] as const) if (set(sc[f])) errs.push(forbidden(scPath.child(f), msg));
  // Upstream's order; host namespaces and shareProcessNamespace are reported at spec.<field>.
  if (set(spec.hostUsers)) errs.push(forbidden(specPath.child('hostUsers'), msg));
  if (spec.hostPID) errs.push(forbidden(specPath.child('hostPID'), msg));
  if (spec.hostIPC) errs.push(forbidden(specPath.child('hostIPC'), msg));
  if (set(sc.seccompProfile)) errs.push(forbidden(scPath.child('seccompProfile'), msg));
  if (set(sc.fsGroup)) errs.push(forbidden(scPath.child('fsGroup'), msg));
  if (set(sc.fsGroupChangePolicy)) errs.push(forbidden(scPath.child('fsGroupChangePolicy'), msg));
  if (sc.sysctls?.length) errs.push(forbidden(scPath.child('sysctls'), msg));
  if (set(spec.shareProcessNamespace)) errs.push(forbidden(specPath.child('shareProcessNamespace'), msg));
  for (const f of ['runAsUser', 'runAsGroup', 'supplementalGroups', 'supplementalGroupsPolicy', 'seLinuxChangePolicy'] as const) {
    if (set(sc[f])) errs.push(forbidden(scPath.child(f), msg));
  }
  visitContainers(spec, specPath, (c, cp) => {
    const csc = c.securityContext;
    if (!csc) return;
    for (const f of WINDOWS_CONTAINER_FORBIDDEN) if (set(csc[f])) errs.push(forbidden(cp.child('securityContext', f), msg));
  });
  return errs;
}
