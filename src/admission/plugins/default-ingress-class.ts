/**
 * DefaultIngressClass (plugin/pkg/admission/network/defaultingressclass, on by default upstream):
 * an Ingress created with neither spec.ingressClassName nor the legacy kubernetes.io/ingress.class
 * annotation gets the IngressClass annotated ingressclass.kubernetes.io/is-default-class: "true";
 * among several, the newest (then by name). No default class: the Ingress is left as it is.
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, Verdict } from '../types.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

const CLASSES = builtinPrefix('networking.k8s.io', 'ingressclasses');
export const ANN_DEFAULT_INGRESS_CLASS = 'ingressclass.kubernetes.io/is-default-class';
const ANN_INGRESS_CLASS = 'kubernetes.io/ingress.class';

type IngressClass = { metadata: { name?: string; creationTimestamp?: string; annotations?: Record<string, string> } };

/** getDefaultClass: the annotated classes, newest first, then by name. */
export function defaultIngressClass(classes: readonly IngressClass[]): IngressClass | undefined {
  const defaults = classes.filter((c) => c.metadata.annotations?.[ANN_DEFAULT_INGRESS_CLASS] === 'true');
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ta !== tb) return tb - ta;
    const na = a.metadata.name ?? '';
    const nb = b.metadata.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
  return defaults[0];
}

export class DefaultIngressClass implements MutatingPlugin {
  readonly name = 'DefaultIngressClass';
  readonly #deps: PluginDeps;

  constructor(deps: PluginDeps) {
    this.#deps = deps;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.resource.group === 'networking.k8s.io' && a.resource.resource === 'ingresses' && a.subresource === '' && !!a.object;
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const ing = a.object!;
    if (ing.spec?.ingressClassName !== undefined && ing.spec?.ingressClassName !== null) return { allowed: true };
    if (ing.metadata?.annotations && Object.hasOwn(ing.metadata.annotations, ANN_INGRESS_CLASS)) return { allowed: true };
    const classes = (await this.#deps.store.list<IngressClass>(CLASSES)).items.map((i) => i.value);
    const name = defaultIngressClass(classes)?.metadata.name;
    if (name === undefined) return { allowed: true };
    ing.spec = { ...(ing.spec ?? {}), ingressClassName: name };
    return { allowed: true, patches: [{ op: 'add', path: '/spec/ingressClassName', value: name }] };
  }
}
