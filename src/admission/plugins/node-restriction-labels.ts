/**
 * Which Node labels a kubelet may set on its own Node (upstream's noderestriction getForbiddenLabels
 * and kubelet/pkg/apis well_known_labels): nothing under node-restriction.kubernetes.io, and no
 * kubernetes.io / k8s.io label beyond the well-known kubelet ones. Labels under
 * node-restriction.kubernetes.io exist precisely so workloads can trust a node did not set them.
 */
export const KUBELET_LABELS: ReadonlySet<string> = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
export const KUBELET_LABEL_NAMESPACES: readonly string[] = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const NODE_RESTRICTION_NAMESPACE = 'node-restriction.kubernetes.io';

function labelNamespace(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

const within = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`);

export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => within(ns, d));
}

export function isKubernetesLabel(key: string): boolean {
  const ns = labelNamespace(key);
  return within(ns, 'kubernetes.io') || within(ns, 'k8s.io');
}

/** Keys added, removed or changed between two label maps. */
export function modifiedLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): Set<string> {
  const x = a ?? {};
  const y = b ?? {};
  const out = new Set<string>();
  for (const [k, v] of Object.entries(x)) if (!Object.hasOwn(y, k) || y[k] !== v) out.add(k);
  for (const [k, v] of Object.entries(y)) if (!Object.hasOwn(x, k) || x[k] !== v) out.add(k);
  return out;
}

/** The modified labels a node may not touch, sorted as Go's sets.String.List(). */
export function forbiddenLabels(modified: Set<string>): string[] {
  const out: string[] = [];
  for (const key of modified) {
    const ns = labelNamespace(key);
    if (within(ns, NODE_RESTRICTION_NAMESPACE) || (isKubernetesLabel(key) && !isKubeletLabel(key))) out.push(key);
  }
  return out.sort();
}
