/** appArmorProfile and seLinuxOptions (upstream policy/check_appArmorProfile.go, check_seLinuxOptions.go). */
import { ALLOWED, forbidden, goQuote, joinQuote, pluralize, sortedUnique } from '../format.ts';
import type { CheckDefinition, CheckResult, PodMetaLike, PodSpecLike, SELinuxOptionsLike } from '../types.ts';
import { containerName, forEachContainer } from '../visit.ts';

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function allowedAppArmorAnnotation(v: string): boolean {
  return v === '' || v === 'runtime/default' || v.startsWith('localhost/');
}

function allowedAppArmorType(t: string | null | undefined): boolean {
  return t === 'RuntimeDefault' || t === 'Localhost';
}

function appArmorProfile(meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const setters: string[] = [];
  const badTypes: string[] = [];
  const podProfile = spec.securityContext?.appArmorProfile;
  if (podProfile != null && !allowedAppArmorType(podProfile.type)) {
    setters.push('pod');
    badTypes.push(podProfile.type ?? '');
  }
  const containers: string[] = [];
  forEachContainer(spec, (c) => {
    const profile = c.securityContext?.appArmorProfile;
    if (profile != null && !allowedAppArmorType(profile.type)) {
      containers.push(containerName(c));
      badTypes.push(profile.type ?? '');
    }
  });
  if (containers.length > 0) setters.push(`${pluralize('container', 'containers', containers.length)} ${joinQuote(containers)}`);

  const annotations: string[] = [];
  const all = meta.annotations;
  if (all != null) {
    for (const key of Object.keys(all)) {
      const value = all[key]!;
      if (key.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAppArmorAnnotation(value)) {
        annotations.push(`${key}=${goQuote(value)}`);
      }
    }
  }
  const badValues = sortedUnique(badTypes);
  if (annotations.length > 0) {
    annotations.sort();
    badValues.push(...annotations);
    setters.push(pluralize('annotation', 'annotations', annotations.length));
  }
  if (setters.length === 0) return ALLOWED;
  return forbidden(
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', badValues.length),
    `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(badValues)}`,
  );
}

const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

function seLinuxOptionsFor(allowedTypes: ReadonlySet<string>) {
  return function seLinuxOptions(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (o: SELinuxOptionsLike): boolean => {
      let ok = true;
      const type = o.type ?? '';
      if (!allowedTypes.has(type)) { ok = false; badTypes.push(type); }
      if (o.user) { ok = false; setUser = true; }
      if (o.role) { ok = false; setRole = true; }
      return ok;
    };
    const setters: string[] = [];
    const podOptions = spec.securityContext?.seLinuxOptions;
    if (podOptions != null && !valid(podOptions)) setters.push('pod');
    const containers: string[] = [];
    forEachContainer(spec, (c) => {
      const o = c.securityContext?.seLinuxOptions;
      if (o != null && !valid(o)) containers.push(containerName(c));
    });
    if (containers.length > 0) setters.push(`${pluralize('container', 'containers', containers.length)} ${joinQuote(containers)}`);
    if (setters.length === 0) return ALLOWED;
    const data: string[] = [];
    const types = sortedUnique(badTypes);
    if (types.length > 0) data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return forbidden('seLinuxOptions', `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`);
  };
}

export const profileChecks: readonly CheckDefinition[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [{ minVersion: 0, check: appArmorProfile }] },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [
      { minVersion: 0, check: seLinuxOptionsFor(SELINUX_TYPES_1_0) },
      { minVersion: 31, check: seLinuxOptionsFor(SELINUX_TYPES_1_31) },
    ],
  },
];
