/**
 * PodNodeSelector (plugin/pkg/admission/podnodeselector): the namespace annotation
 * `scheduler.alpha.kubernetes.io/node-selector` (else the cluster default) is merged into every new
 * pod's nodeSelector, so a tenant's pods land only on the nodes picked for its namespace. A pod
 * selector that contradicts it, or strays outside the namespace's whitelist, is refused.
 */
import { ApiError } from '../../api/errors.ts';
import type { Store } from '../../storage/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

export const NODE_SELECTOR_ANNOTATION = 'scheduler.alpha.kubernetes.io/node-selector';

export interface PodNodeSelectorOptions {
  /** podNodeSelectorPluginConfig.clusterDefaultNodeSelector: used when a namespace has no annotation. */
  clusterDefaultNodeSelector?: string;
  /** podNodeSelectorPluginConfig.<namespace>: the labels pods in that namespace may select. */
  namespaceWhitelists?: Record<string, string>;
}

type Labels = Record<string, string>;

const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const LABEL_KEY = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${NAME}$`);
const LABEL_VALUE = new RegExp(`^(${NAME})?$`);

/** labels.ConvertSelectorToLabelsMap: "k=v,k2=v2" only. */
export function selectorToLabels(selector: string): Labels {
  const out: Labels = {};
  if (selector === '') return out;
  for (const term of selector.split(',')) {
    const parts = term.split('=');
    if (parts.length !== 2) throw new Error(`invalid selector: [${parts.join(' ')}]`);
    const key = parts[0]!.trim();
    const value = parts[1]!.trim();
    if (!LABEL_KEY.test(key) || key.length > 317) throw new Error(`invalid label key ${JSON.stringify(key)}`);
    if (!LABEL_VALUE.test(value) || value.length > 63) throw new Error(`invalid label value ${JSON.stringify(value)} for key ${JSON.stringify(key)}`);
    out[key] = value;
  }
  return out;
}

const conflicts = (a: Labels, b: Labels): boolean => Object.entries(a).some(([k, v]) => Object.hasOwn(b, k) && b[k] !== v);
const isSubset = (sub: Labels, sup: Labels): boolean => Object.keys(sup).length === 0 || Object.entries(sub).every(([k, v]) => sup[k] === v);

export class PodNodeSelector implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'PodNodeSelector';
  readonly #store: Store;
  readonly #opts: PodNodeSelectorOptions;

  constructor(deps: PluginDeps, opts: PodNodeSelectorOptions = {}) {
    this.#store = deps.store;
    this.#opts = opts;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === '' && !!a.object;
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const nsSelector = await this.#namespaceSelector(a.namespace);
    const spec = (a.object!.spec ??= {});
    const podSelector: Labels = spec.nodeSelector ?? {};
    if (conflicts(nsSelector, podSelector)) return conflict();
    const merged = { ...nsSelector, ...podSelector };
    if (Object.keys(merged).length > 0) spec.nodeSelector = merged;
    return this.validate(a);
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const nsSelector = await this.#namespaceSelector(a.namespace);
    const podSelector: Labels = a.object!.spec?.nodeSelector ?? {};
    if (conflicts(nsSelector, podSelector)) return conflict();
    const whitelist = parse(this.#opts.namespaceWhitelists?.[a.namespace] ?? '');
    if (!isSubset(podSelector, whitelist)) return { allowed: false, reason: 'pod node label selector labels conflict with its namespace whitelist' };
    return { allowed: true };
  }

  async #namespaceSelector(namespace: string): Promise<Labels> {
    const ns = await this.#store.get<{ metadata?: { annotations?: Record<string, string> } }>(builtinKey('', 'namespaces', namespace));
    if (!ns) throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    const annotation = ns.value.metadata?.annotations?.[NODE_SELECTOR_ANNOTATION];
    return parse(annotation ?? this.#opts.clusterDefaultNodeSelector ?? '');
  }
}

function conflict(): Verdict {
  return { allowed: false, reason: 'pod node label selector conflicts with its namespace node label selector' };
}

function parse(selector: string): Labels {
  try {
    return selectorToLabels(selector);
  } catch (err) {
    // Upstream returns the parse error unwrapped: a 500 carrying its text.
    throw new ApiError(500, 'InternalError', (err as Error).message);
  }
}
