/**
 * LimitPodHardAntiAffinityTopology (plugin/pkg/admission/antiaffinity): required pod
 * anti-affinity may only be per node (kubernetes.io/hostname); a zone-wide hard anti-affinity
 * would let one pod keep a whole zone free of others.
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';

const LABEL_HOSTNAME = 'kubernetes.io/hostname';

export class LimitPodHardAntiAffinityTopology implements ValidatingPlugin {
  readonly name = 'LimitPodHardAntiAffinityTopology';

  constructor(_deps?: PluginDeps) {}

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    return a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === '' && !!a.object;
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const terms = a.object!.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    for (const t of Array.isArray(terms) ? terms : []) {
      const key = t?.topologyKey ?? '';
      if (key !== LABEL_HOSTNAME) {
        return { allowed: false, reason: `affinity.PodAntiAffinity.RequiredDuringScheduling has TopologyKey ${key} but only key ${LABEL_HOSTNAME} is allowed` };
      }
    }
    return { allowed: true };
  }
}
