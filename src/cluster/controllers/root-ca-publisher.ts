/**
 * The root CA publisher (upstream pkg/controller/certificates/rootcacertpublisher): every namespace
 * has a ConfigMap kube-root-ca.crt holding the cluster CA, restored when deleted or changed; the
 * ServiceAccount admission plugin mounts it into pods. It acts as
 * system:serviceaccount:kube-system:root-ca-cert-publisher (create and update of configmaps).
 */
import { isAlreadyExists } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { Controller, K8sObject } from '../client/types.ts';
import { newQueueController } from './queue-controller.ts';
import { isActiveNamespace, namespaceGoneOrGoing, type NamespacedControllerDeps } from './service-account.ts';

export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCaPublisherDeps extends NamespacedControllerDeps {
  /** The cluster CA bundle (PEM). */
  caPem: string;
}

export function newRootCaPublisher(d: RootCaPublisherDeps): Controller {
  const namespaces = d.informers.informer(resources.namespaces);
  const configMaps = d.informers.informer(resources.configmaps);
  namespaces.addEventHandler({
    add: (ns) => d.queue.add(ns.metadata.name ?? ''),
    update: (_old, ns) => d.queue.add(ns.metadata.name ?? ''),
  });
  const ours = (cm: K8sObject) => {
    if (cm.metadata.name === ROOT_CA_CONFIG_MAP && cm.metadata.namespace) d.queue.add(cm.metadata.namespace);
  };
  configMaps.addEventHandler({ update: (_old, cm) => ours(cm), delete: ours });

  const sync = async (ns: string): Promise<void> => {
    if (!isActiveNamespace(namespaces.get('', ns))) return;
    const data = { 'ca.crt': d.caPem };
    const cm = configMaps.get(ns, ROOT_CA_CONFIG_MAP);
    if (!cm) {
      try {
        await d.client.create(resources.configmaps, ns, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ROOT_CA_CONFIG_MAP, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
          data,
        });
      } catch (err) {
        // Already there (the cache lags): its update event brings us back if it differs.
        if (isAlreadyExists(err) || namespaceGoneOrGoing(err)) return;
        throw err;
      }
      return;
    }
    // As upstream: the data and the one annotation describing its use must match.
    const same = Object.keys(cm.data ?? {}).length === 1 && cm.data?.['ca.crt'] === d.caPem && (cm.metadata.annotations?.[DESCRIPTION_ANNOTATION] ?? '') !== '';
    if (same) return;
    const next = structuredClone(cm) as K8sObject;
    next.data = data;
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION };
    // A conflict (the cache lags) is retried by the queue with backoff.
    await d.client.update(resources.configmaps, ns, next);
  };

  return newQueueController({ name: 'root-ca-certificate-publisher-controller', queue: d.queue, waitFor: [namespaces, configMaps], sync, log: d.log });
}
