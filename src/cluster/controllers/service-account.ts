/**
 * The service account controller (upstream pkg/controller/serviceaccount/serviceaccounts_controller.go):
 * every active namespace has a `default` ServiceAccount, recreated when deleted. It reads namespaces
 * and service accounts from the shared informers and creates through its own client
 * (system:serviceaccount:kube-system:service-account-controller, whose role grants exactly that).
 */
import { isAlreadyExists, isNotFound, ApiStatusError } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, Controller, InformerFactory, K8sObject, WorkQueue } from '../client/types.ts';
import { newQueueController, type ControllerLog } from './queue-controller.ts';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export interface NamespacedControllerDeps {
  client: ApiClient;
  informers: InformerFactory;
  queue: WorkQueue;
  log: ControllerLog;
}

/** Whether content may be created in the namespace (upstream checks phase Active). */
export function isActiveNamespace(ns: K8sObject | undefined): boolean {
  return !!ns && !ns.metadata.deletionTimestamp && ns.status?.phase !== 'Terminating';
}

/** A create refused because the namespace is gone or going: nothing to retry (upstream's check). */
export function namespaceGoneOrGoing(err: unknown): boolean {
  if (isNotFound(err)) return true;
  return err instanceof ApiStatusError && (err.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

export function newServiceAccountController(d: NamespacedControllerDeps): Controller {
  const namespaces = d.informers.informer(resources.namespaces);
  const accounts = d.informers.informer(resources.serviceaccounts);
  namespaces.addEventHandler({
    add: (ns) => d.queue.add(ns.metadata.name ?? ''),
    update: (_old, ns) => d.queue.add(ns.metadata.name ?? ''),
  });
  accounts.addEventHandler({
    delete: (sa) => {
      if (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT && sa.metadata.namespace) d.queue.add(sa.metadata.namespace);
    },
  });

  const sync = async (ns: string): Promise<void> => {
    if (!isActiveNamespace(namespaces.get('', ns))) return;
    if (accounts.get(ns, DEFAULT_SERVICE_ACCOUNT)) return;
    try {
      await d.client.create(resources.serviceaccounts, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT } });
    } catch (err) {
      // Created meanwhile (the cache lags its own write), or the namespace went away: done.
      if (isAlreadyExists(err) || namespaceGoneOrGoing(err)) return;
      throw err;
    }
  };

  return newQueueController({ name: 'serviceaccount-controller', queue: d.queue, waitFor: [namespaces, accounts], sync, log: d.log });
}
