/**
 * DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds): a pod that does not
 * tolerate the not-ready and unreachable NoExecute taints gets tolerations for them bounded to
 * 300 seconds, so its pods are evicted from a lost node after five minutes rather than at once.
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, Verdict } from '../types.ts';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

export interface DefaultTolerationSecondsOptions {
  /** --default-not-ready-toleration-seconds (default 300). */
  notReadySeconds?: number;
  /** --default-unreachable-toleration-seconds (default 300). */
  unreachableSeconds?: number;
}

interface Toleration {
  key?: string;
  effect?: string;
}

const tolerates = (t: Toleration, key: string): boolean => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect);

export class DefaultTolerationSeconds implements MutatingPlugin {
  readonly name = 'DefaultTolerationSeconds';
  readonly #notReady: number;
  readonly #unreachable: number;

  constructor(_deps?: PluginDeps, opts: DefaultTolerationSecondsOptions = {}) {
    this.#notReady = opts.notReadySeconds ?? 300;
    this.#unreachable = opts.unreachableSeconds ?? 300;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    return a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === '' && !!a.object;
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const spec = (a.object!.spec ??= {});
    const list: Toleration[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
    const added: unknown[] = [];
    if (!list.some((t) => tolerates(t ?? {}, TAINT_NODE_NOT_READY))) {
      added.push({ key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.#notReady });
    }
    if (!list.some((t) => tolerates(t ?? {}, TAINT_NODE_UNREACHABLE))) {
      added.push({ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.#unreachable });
    }
    if (added.length > 0) spec.tolerations = [...list, ...added];
    return { allowed: true, patches: added.map((value) => ({ op: 'add', path: '/spec/tolerations/-', value })) };
  }
}
