/**
 * AlwaysAdmit (plugin/pkg/admission/admit): admits every request. Deprecated upstream; kept so a
 * configuration naming it still loads.
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';

export class AlwaysAdmit implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'AlwaysAdmit';

  constructor(_deps?: PluginDeps) {}

  handles(_a: AdmissionAttributes): boolean {
    return true;
  }

  async admit(_a: AdmissionAttributes): Promise<Verdict> {
    return { allowed: true };
  }

  async validate(_a: AdmissionAttributes): Promise<Verdict> {
    return { allowed: true };
  }
}
