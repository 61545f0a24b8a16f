/**
 * Checks on single securityContext flags: privileged, windowsHostProcess, procMount,
 * procMount_restricted, allowPrivilegeEscalation (upstream policy/check_privileged.go, ...).
 */
import { ALLOWED, forbidden, joinQuote, pluralize, sortedUnique } from '../format.ts';
import type { CheckDefinition, CheckResult, PodMetaLike, PodSpecLike } from '../types.ts';
import { containerName, forEachContainer, inUserNamespace, isWindowsPod } from '../visit.ts';

function containers(n: number, names: string[]): string {
  return `${pluralize('container', 'containers', n)} ${joinQuote(names)}`;
}

function privileged(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const bad: string[] = [];
  forEachContainer(spec, (c) => {
    if (c.securityContext?.privileged === true) bad.push(containerName(c));
  });
  if (bad.length === 0) return ALLOWED;
  return forbidden('privileged', `${containers(bad.length, bad)} must not set securityContext.privileged=true`);
}

function windowsHostProcess(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const bad: string[] = [];
  forEachContainer(spec, (c) => {
    if (c.securityContext?.windowsOptions?.hostProcess === true) bad.push(containerName(c));
  });
  const setters: string[] = [];
  if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push('pod');
  if (bad.length > 0) setters.push(containers(bad.length, bad));
  if (setters.length === 0) return ALLOWED;
  return forbidden('hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`);
}

/** procMount must be unset or "Default" (the restricted rule, and baseline's before v1.35). */
function procMountStrict(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const bad: string[] = [];
  const types: string[] = [];
  forEachContainer(spec, (c) => {
    const pm = c.securityContext?.procMount;
    if (pm != null && pm !== 'Default') {
      bad.push(containerName(c));
      types.push(pm);
    }
  });
  if (bad.length === 0) return ALLOWED;
  return forbidden(
    'procMount',
    `${containers(bad.length, bad)} must not set securityContext.procMount to ${joinQuote(sortedUnique(types))}`,
  );
}

/** From v1.35 baseline allows any procMount in a user namespace (hostUsers: false). */
function procMountBaseline135(meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  return inUserNamespace(spec) ? ALLOWED : procMountStrict(meta, spec);
}

function allowPrivilegeEscalation18(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const bad: string[] = [];
  forEachContainer(spec, (c) => {
    // Unset means the runtime default, which allows escalation.
    if (c.securityContext?.allowPrivilegeEscalation !== false) bad.push(containerName(c));
  });
  if (bad.length === 0) return ALLOWED;
  return forbidden(
    'allowPrivilegeEscalation != false',
    `${containers(bad.length, bad)} must set securityContext.allowPrivilegeEscalation=false`,
  );
}

/** From v1.25 Windows pods are exempt: API validation forbids the field on them. */
function allowPrivilegeEscalation125(meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  return isWindowsPod(spec) ? ALLOWED : allowPrivilegeEscalation18(meta, spec);
}

export const PROC_MOUNT_ID = 'procMount';

export const containerFlagChecks: readonly CheckDefinition[] = [
  { id: 'privileged', level: 'baseline', versions: [{ minVersion: 0, check: privileged }] },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ minVersion: 0, check: windowsHostProcess }] },
  {
    id: PROC_MOUNT_ID,
    level: 'baseline',
    versions: [{ minVersion: 0, check: procMountStrict }, { minVersion: 35, check: procMountBaseline135 }],
  },
  {
    id: 'procMount_restricted',
    level: 'restricted',
    versions: [{ minVersion: 35, check: procMountStrict, overrides: [PROC_MOUNT_ID] }],
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    versions: [{ minVersion: 8, check: allowPrivilegeEscalation18 }, { minVersion: 25, check: allowPrivilegeEscalation125 }],
  },
];
