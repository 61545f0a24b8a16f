/** AlwaysDeny (plugin/pkg/admission/deny): refuses every request that reaches admission. For tests. */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';

const DENIED: Verdict = { allowed: false, reason: 'admission control is denying all modifications' };

export class AlwaysDeny implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'AlwaysDeny';

  constructor(_deps?: PluginDeps) {}

  handles(_a: AdmissionAttributes): boolean {
    return true;
  }

  async admit(_a: AdmissionAttributes): Promise<Verdict> {
    return DENIED;
  }

  async validate(_a: AdmissionAttributes): Promise<Verdict> {
    return DENIED;
  }
}
