/**
 * One PodSecurityPolicy as a provider (upstream podsecuritypolicy.simpleProvider): mutatePod fills
 * in what the policy defaults, validatePod lists every way the pod breaks it.
 */
import { containersWithPath } from './containers.ts';
import { invalid, scalar, str, type FieldError } from './field-error.ts';
import { appArmorStrategy, SECCOMP_POD, seccompStrategy, validateSysctls, type AppArmorStrategy, type SeccompStrategy } from './profiles.ts';
import {
  capabilitiesStrategy, groupStrategy, seLinuxStrategy, userStrategy,
  type CapabilitiesStrategy, type GroupStrategy, type SELinuxStrategy, type UserStrategy,
} from './strategies.ts';
import { validateVolumes } from './volumes.ts';

type Obj = Record<string, any>;

/** Fields read from the container first, then the pod (upstream's effective security context). */
const INHERITED = new Set(['runAsUser', 'runAsGroup', 'runAsNonRoot', 'seLinuxOptions']);

function effective(pod: Obj, c: Obj, field: string): any {
  const own = c.securityContext?.[field];
  if (own !== undefined && own !== null) return own;
  return INHERITED.has(field) ? (pod.spec?.securityContext?.[field] ?? undefined) : undefined;
}

/** Sets a container field only when the effective value would change (as upstream's mutator does). */
function setEffective(pod: Obj, c: Obj, field: string, value: unknown): void {
  if (value === undefined || JSON.stringify(effective(pod, c, field)) === JSON.stringify(value)) return;
  c.securityContext = { ...c.securityContext, [field]: value };
}

function portRanges(ranges: readonly Obj[] | undefined): string {
  return (ranges ?? []).map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(',');
}

export class Provider {
  readonly name: string;
  readonly #spec: Obj;
  readonly #user: UserStrategy;
  readonly #group: GroupStrategy | undefined;
  readonly #fsGroup: GroupStrategy;
  readonly #supplemental: GroupStrategy;
  readonly #seLinux: SELinuxStrategy;
  readonly #caps: CapabilitiesStrategy;
  readonly #seccomp: SeccompStrategy;
  readonly #appArmor: AppArmorStrategy;

  /** Throws when the policy cannot be used (upstream logs and skips such a policy). */
  constructor(psp: Obj) {
    this.name = psp.metadata?.name ?? '';
    // v1beta1 defaulting: allowPrivilegeEscalation is true unless said otherwise.
    this.#spec = { ...psp.spec, allowPrivilegeEscalation: psp.spec?.allowPrivilegeEscalation ?? true };
    const annotations: Record<string, string> = psp.metadata?.annotations ?? {};
    this.#user = userStrategy(this.#spec.runAsUser);
    this.#group = this.#spec.runAsGroup ? groupStrategy(this.#spec.runAsGroup, 'RunAsGroup') : undefined;
    this.#fsGroup = groupStrategy(this.#spec.fsGroup, 'FSGroup');
    this.#supplemental = groupStrategy(this.#spec.supplementalGroups, 'SupplementalGroups');
    this.#seLinux = seLinuxStrategy(this.#spec.seLinux);
    this.#caps = capabilitiesStrategy(this.#spec);
    this.#seccomp = seccompStrategy(annotations);
    this.#appArmor = appArmorStrategy(annotations);
  }

  mutatePod(pod: Obj): void {
    const spec = (pod.spec ??= {});
    const psc: Obj = { ...spec.securityContext };
    if (psc.supplementalGroups == null) setIf(psc, 'supplementalGroups', this.#supplemental.generate());
    if (psc.fsGroup == null) setIf(psc, 'fsGroup', this.#fsGroup.generate()?.[0]);
    if (psc.seLinuxOptions == null) setIf(psc, 'seLinuxOptions', this.#seLinux.generate());
    if (spec.securityContext || Object.keys(psc).length > 0) spec.securityContext = psc;
    const seccomp = this.#seccomp.generate(pod);
    if (seccomp !== '') pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [SECCOMP_POD]: seccomp } };
    const rc = this.#spec.runtimeClass;
    if (rc && spec.runtimeClassName == null && rc.defaultRuntimeClassName) spec.runtimeClassName = rc.defaultRuntimeClassName;
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) this.#mutateContainer(pod, c);
  }

  #mutateContainer(pod: Obj, c: Obj): void {
    if (effective(pod, c, 'runAsUser') === undefined) setEffective(pod, c, 'runAsUser', this.#user.generate());
    if (this.#group && effective(pod, c, 'runAsGroup') === undefined) setEffective(pod, c, 'runAsGroup', this.#group.generate()?.[0]);
    if (effective(pod, c, 'seLinuxOptions') === undefined) setEffective(pod, c, 'seLinuxOptions', this.#seLinux.generate());
    const annotations = this.#appArmor.generate(pod.metadata?.annotations, c);
    if (annotations !== pod.metadata?.annotations) pod.metadata = { ...pod.metadata, annotations };
    if (this.#spec.runAsUser?.rule === 'MustRunAsNonRoot' && effective(pod, c, 'runAsNonRoot') === undefined && effective(pod, c, 'runAsUser') === undefined) {
      setEffective(pod, c, 'runAsNonRoot', true);
    }
    const caps = this.#caps.generate(c);
    if (caps !== c.securityContext?.capabilities) c.securityContext = { ...c.securityContext, capabilities: caps };
    if (this.#spec.readOnlyRootFilesystem && c.securityContext?.readOnlyRootFilesystem == null) setEffective(pod, c, 'readOnlyRootFilesystem', true);
    if (c.securityContext?.allowPrivilegeEscalation == null) {
      const dflt = this.#spec.defaultAllowPrivilegeEscalation ?? (this.#spec.allowPrivilegeEscalation ? undefined : false);
      setEffective(pod, c, 'allowPrivilegeEscalation', dflt);
    }
  }

  validatePod(pod: Obj): FieldError[] {
    const spec = pod.spec ?? {};
    const psc: Obj = spec.securityContext ?? {};
    const sc = 'spec.securityContext';
    const errs: FieldError[] = [
      ...this.#fsGroup.validate(`${sc}.fsGroup`, psc.fsGroup == null ? undefined : [psc.fsGroup]),
      ...this.#supplemental.validate(`${sc}.supplementalGroups`, psc.supplementalGroups ?? undefined),
      ...this.#seccomp.validatePod(pod),
      ...this.#seLinux.validate(`${sc}.seLinuxOptions`, psc.seLinuxOptions ?? undefined),
    ];
    if (!this.#spec.hostNetwork && spec.hostNetwork) errs.push(invalid(`${sc}.hostNetwork`, scalar(true), 'Host network is not allowed to be used'));
    if (!this.#spec.hostPID && spec.hostPID) errs.push(invalid(`${sc}.hostPID`, scalar(true), 'Host PID is not allowed to be used'));
    if (!this.#spec.hostIPC && spec.hostIPC) errs.push(invalid(`${sc}.hostIPC`, scalar(true), 'Host IPC is not allowed to be used'));
    errs.push(...validateSysctls(this.#spec, pod), ...validateVolumes(this.#spec, pod));
    const rc = this.#spec.runtimeClass;
    if (rc) {
      const allowed: string[] = rc.allowedRuntimeClassNames ?? [];
      const name: string | undefined = spec.runtimeClassName ?? undefined;
      // An unset runtimeClassName is always allowed.
      if (name !== undefined && !allowed.includes('*') && !allowed.includes(name)) errs.push(invalid('spec.runtimeClassName', str(name), `must be one of [${allowed.join(' ')}]`));
    }
    for (const { container, path } of containersWithPath(pod)) errs.push(...this.#validateContainer(pod, container, path));
    return errs;
  }

  #validateContainer(pod: Obj, c: Obj, path: string): FieldError[] {
    const sc = `${path}.securityContext`;
    const csc: Obj = c.securityContext ?? {};
    const errs: FieldError[] = [...this.#user.validate(sc, effective(pod, c, 'runAsNonRoot'), effective(pod, c, 'runAsUser'))];
    if (this.#group) {
      const g = effective(pod, c, 'runAsGroup');
      errs.push(...this.#group.validate(`${sc}.runAsGroup`, g === undefined ? undefined : [g]));
    }
    errs.push(...this.#seLinux.validate(`${sc}.seLinuxOptions`, effective(pod, c, 'seLinuxOptions')));
    errs.push(...this.#appArmor.validate(pod, c), ...this.#seccomp.validateContainer(pod, c));
    if (!this.#spec.privileged && csc.privileged === true) errs.push(invalid(`${sc}.privileged`, scalar(true), 'Privileged containers are not allowed'));
    const procMount: string = csc.procMount ?? 'Default';
    const allowedProc: string[] = this.#spec.allowedProcMountTypes?.length ? this.#spec.allowedProcMountTypes : ['Default'];
    if (!allowedProc.includes(procMount)) errs.push(invalid(`${sc}.procMount`, str(procMount), 'ProcMountType is not allowed'));
    errs.push(...this.#caps.validate(`${sc}.capabilities`, csc.capabilities ?? undefined));
    for (const p of c.ports ?? []) {
      const hp = Number(p.hostPort ?? 0);
      if (hp > 0 && !(this.#spec.hostPorts ?? []).some((r: Obj) => hp >= r.min && hp <= r.max)) {
        errs.push(invalid(`${path}.hostPort`, scalar(hp), `Host port ${hp} is not allowed to be used. Allowed ports: [${portRanges(this.#spec.hostPorts)}]`));
      }
    }
    if (this.#spec.readOnlyRootFilesystem && csc.readOnlyRootFilesystem !== true) {
      errs.push(invalid(`${sc}.readOnlyRootFilesystem`, scalar(csc.readOnlyRootFilesystem), 'ReadOnlyRootFilesystem must be set to true'));
    }
    const escalation: boolean | undefined = csc.allowPrivilegeEscalation ?? undefined;
    if (!this.#spec.allowPrivilegeEscalation && escalation !== false) {
      errs.push(invalid(`${sc}.allowPrivilegeEscalation`, scalar(escalation), 'Allowing privilege escalation for containers is not allowed'));
    }
    return errs;
  }
}

function setIf(o: Obj, key: string, value: unknown): void {
  if (value !== undefined) o[key] = value;
}
