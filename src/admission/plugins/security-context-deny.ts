/**
 * SecurityContextDeny (plugin/pkg/admission/securitycontext/scdeny, removed upstream in 1.30):
 * pods may not choose their user, SELinux context, supplemental groups or fsGroup, the settings
 * that decide which files on shared volumes and the node they can reach.
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';

const set = (v: unknown): boolean => v !== undefined && v !== null;
const deny = (reason: string): Verdict => ({ allowed: false, reason });

export class SecurityContextDeny implements ValidatingPlugin {
  readonly name = 'SecurityContextDeny';

  constructor(_deps?: PluginDeps) {}

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    return a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === '' && !!a.object;
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const spec = a.object!.spec ?? {};
    const psc = spec.securityContext;
    if (psc) {
      if (set(psc.supplementalGroups)) return deny('pod.Spec.SecurityContext.SupplementalGroups is forbidden');
      if (set(psc.seLinuxOptions)) return deny('pod.Spec.SecurityContext.SELinuxOptions is forbidden');
      if (set(psc.runAsUser)) return deny('pod.Spec.SecurityContext.RunAsUser is forbidden');
      if (set(psc.fsGroup)) return deny('pod.Spec.SecurityContext.FSGroup is forbidden');
    }
    for (const kind of ['initContainers', 'containers']) {
      for (const c of spec[kind] ?? []) {
        const sc = c?.securityContext;
        if (!sc) continue;
        if (set(sc.seLinuxOptions)) return deny('SecurityContext.SELinuxOptions is forbidden');
        if (set(sc.runAsUser)) return deny('SecurityContext.RunAsUser is forbidden');
      }
    }
    return { allowed: true };
  }
}
