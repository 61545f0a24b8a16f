import type { PluginDeps } from '../plugin-deps.ts';
import { QuotaCharger } from '../quota/charge.ts';
import { evaluatorFor } from '../quota/evaluators.ts';
import type { ResourceQuotaConfig } from '../quota/config-file.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';

/**
 * ResourceQuota: a create (or a growing update) in a namespace with quotas is admitted only if
 * every quota that applies has room, and is then charged to their status.used before the object
 * is stored. Dry runs are checked but never charged. Runs last among the validating plugins, so
 * nothing after it can refuse a request it has already charged.
 */
export class ResourceQuota implements ValidatingPlugin {
  readonly name = 'ResourceQuota';
  readonly #charger: QuotaCharger;

  /** `config`: from --admission-control-config-file (limitedResources: ../quota/limited-resources.ts). */
  constructor(deps: PluginDeps, config: ResourceQuotaConfig = { limitedResources: [] }) {
    this.#charger = new QuotaCharger(deps.store, deps.now, config.limitedResources);
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    if (a.namespace === '' || !a.object) return false;
    // Subresources are not charged, except a pod's resize, which changes what it holds.
    if (a.subresource !== '' && !(a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === 'resize')) return false;
    return evaluatorFor(a.resource.group, a.resource.resource)?.handles(a) ?? false;
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const ev = evaluatorFor(a.resource.group, a.resource.resource);
    if (!ev) return { allowed: true };
    return this.#charger.charge(a, ev);
  }
}
