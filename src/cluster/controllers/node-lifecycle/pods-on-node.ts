/** The pods bound to a node, from the shared pod informer (one index for both node controllers). */
import type { Informer, K8sObject } from '../../client/types.ts';

const INDEX = 'node-lifecycle/spec.nodeName';
const indexed = new WeakSet<object>();

export function podsOnNode(pods: Informer<K8sObject>): (node: string) => K8sObject[] {
  if (!indexed.has(pods)) {
    pods.addIndexers({ [INDEX]: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
    indexed.add(pods);
  }
  return (node) => pods.byIndex(INDEX, node);
}
