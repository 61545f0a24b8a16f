/**
 * The controllers that came before the controller manager (service accounts, root CA, quota,
 * namespaces, garbage collection), started by `portcullis up` as API clients: each with a client
 * certificate of its own upstream identity (system:serviceaccount:kube-system:<name>, as
 * kube-controller-manager --use-service-account-credentials), over one set of shared informers
 * that lists and watches as system:kube-controller-manager. Nothing here touches the store.
 */
import type { CertKeyPem } from '../../pki/ca.ts';
import { componentClientConfig, controllerIdentity, KUBE_CONTROLLER_MANAGER } from '../client/identities.ts';
import { SharedInformerFactory } from '../client/informer.ts';
import { RestClient } from '../client/rest-client.ts';
import type { ApiClient, Controller, InformerFactory, WorkQueue } from '../client/types.ts';
import { RateLimitedQueue } from '../client/work-queue.ts';
import type { ControllerLog } from './queue-controller.ts';
import type { ResourceDiscovery } from './resource-discovery.ts';
import { newNamespaceController } from './namespace.ts';
import { newResourceQuotaController } from './resource-quota.ts';
import { newRootCaPublisher } from './root-ca-publisher.ts';
import { newServiceAccountController } from './service-account.ts';

export interface CoreControllersOptions {
  /** https://host:port of the API server. */
  server: string;
  /** The cluster CA: signs the controllers' client certificates, and is published as kube-root-ca.crt. */
  ca: CertKeyPem;
  discovery: ResourceDiscovery;
  log: ControllerLog & { warn(obj: unknown, msg?: string): void };
  now: () => Date;
}

interface Entry {
  /** Upstream's controller name (cmd/kube-controller-manager/names). */
  name: string;
  /** Its kube-system ServiceAccount (the identity, and system:controller:<serviceAccount>'s subject). */
  serviceAccount: string;
  workers: number;
  start(d: { client: ApiClient; informers: InformerFactory; queue: WorkQueue; log: ControllerLog }, o: CoreControllersOptions): Controller;
}

export const CORE_CONTROLLERS: readonly Entry[] = Object.freeze([
  { name: 'serviceaccount-controller', serviceAccount: 'service-account-controller', workers: 1, start: (d) => newServiceAccountController(d) },
  { name: 'root-ca-certificate-publisher-controller', serviceAccount: 'root-ca-cert-publisher', workers: 1, start: (d, o) => newRootCaPublisher({ ...d, caPem: o.ca.certPem }) },
  { name: 'resourcequota-controller', serviceAccount: 'resourcequota-controller', workers: 5, start: (d, o) => newResourceQuotaController({ ...d, discovery: o.discovery, now: o.now }) },
  { name: 'namespace-controller', serviceAccount: 'namespace-controller', workers: 10, start: (d, o) => newNamespaceController({ ...d, discovery: o.discovery }) },
]);

/** The URL in-process clients reach a server listening on `bindAddress` at (a wildcard address is not one to connect to). */
export function loopbackUrl(bindAddress: string, port: number): string {
  const host = bindAddress === '0.0.0.0' ? '127.0.0.1' : bindAddress === '::' ? '::1' : bindAddress;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Starts every core controller; the function returned stops them and closes their clients. */
export function startCoreControllers(o: CoreControllersOptions): () => Promise<void> {
  const clients: ApiClient[] = [];
  const clientFor = (serviceAccount: string, component: string, id = controllerIdentity(serviceAccount)) => {
    const c = new RestClient(componentClientConfig(o.server, o.ca, id, component, { now: o.now() }));
    clients.push(c);
    return c;
  };
  const informers = new SharedInformerFactory({ client: clientFor('', 'kube-controller-manager', KUBE_CONTROLLER_MANAGER), log: o.log });
  const controllers = CORE_CONTROLLERS.map((e) => {
    const c = e.start({ client: clientFor(e.serviceAccount, e.name), informers, queue: new RateLimitedQueue({ name: e.name }), log: o.log }, o);
    c.run(e.workers);
    return c;
  });
  informers.start();
  return async () => {
    informers.stop();
    await Promise.all(controllers.map((c) => c.stop()));
    for (const c of clients) c.close();
  };
}
