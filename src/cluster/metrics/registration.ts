/**
 * metrics.k8s.io served and registered as metrics-server is deployed: the one HTTPS server
 * (metrics-api-server.ts) on a node address, a selectorless Service kube-system/metrics-server with
 * an EndpointSlice naming that address, and the APIService v1beta1.metrics.k8s.io whose caBundle is
 * a serving CA made for this run. The front-proxy CA it believes comes from kube-system/
 * extension-apiserver-authentication, as metrics-server reads it. The address must not be
 * loopback: the API refuses loopback endpoints, as upstream. Used by the simulated nodes and by
 * the real nodes' metrics server; as there is one APIService, the last to register takes it, and
 * the real nodes' server (reconciling every round) steps aside meanwhile and takes it back once
 * the other has gone.
 */
import { networkInterfaces } from 'node:os';
import type { Server } from 'node:https';
import { createCAAsync } from '../../pki/ca.ts';
import { issueCertAsync } from '../../pki/certs.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.ts';
import { DEFAULT_RETRY, retryOnError } from '../client/retry.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject, ResourceRef } from '../client/types.ts';
import { startMetricsApiServer, type MetricsSource } from './metrics-api-server.ts';

const APISERVICES: ResourceRef = Object.freeze({ group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices', kind: 'APIService', namespaced: false });
const NS = 'kube-system';
const SERVICE = 'metrics-server';
export const METRICS_APISERVICE = 'v1beta1.metrics.k8s.io';

export interface MetricsApiOptions {
  client: ApiClient;
  /** The address to listen on and to publish (a node address, not loopback). */
  host: string;
  /** 0: any free port. */
  port?: number;
  source: MetricsSource;
  now: () => number;
  /** Who registered it: the Service's and EndpointSlice's managed-by label, the slice's and serving CA's names. */
  managedBy: string;
}

export interface ServedMetricsApi {
  readonly url: string;
  /**
   * Keeps one server behind the APIService: registers again when the APIService is gone (another
   * server that had taken it over stopped), and withdraws this server's endpoints while another's
   * CA is in it.
   */
  reconcile(): Promise<void>;
  /** Closes the server, removes its EndpointSlice, and the APIService and Service unless another server has taken them over. */
  stop(): Promise<void>;
}

/** The first non-internal IPv4 address of this host, where the API server can reach the metrics. */
export function defaultMetricsHost(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/**
 * Create `obj`, or update the stored one through `merge`. Another writer of the same object (the
 * real nodes' metrics server reconciles the APIService every round while the simulator takes it
 * over) can change it between the read and the write: a 409 (Conflict on the update,
 * AlreadyExists on the create) reads it again and retries, as client-go's retry.RetryOnConflict.
 */
export async function applyObject(client: ApiClient, r: ResourceRef, ns: string, obj: K8sObject, merge: (cur: K8sObject) => K8sObject, sleep?: (ms: number) => Promise<void>): Promise<void> {
  await retryOnError(DEFAULT_RETRY, (err) => isConflict(err) || isAlreadyExists(err), async () => {
    let cur: K8sObject | undefined;
    try {
      cur = await client.get(r, ns, obj.metadata.name!);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!cur) await client.create(r, ns, obj);
    else await client.update(r, ns, merge(cur));
  }, { sleep });
}

/** The front-proxy CA and allowed names the API server publishes. */
async function frontProxyTrust(client: ApiClient): Promise<{ caPem: string; allowedNames: string[] }> {
  const cm = await client.get(resources.configmaps, NS, 'extension-apiserver-authentication');
  const caPem = cm.data?.['requestheader-client-ca-file'];
  if (!caPem) throw new Error(`${NS}/extension-apiserver-authentication has no requestheader-client-ca-file: the API server does not proxy to aggregated APIs with a front-proxy certificate`);
  let allowedNames: string[] = [];
  try {
    allowedNames = JSON.parse(cm.data?.['requestheader-allowed-names'] ?? '[]');
  } catch {
    throw new Error(`${NS}/extension-apiserver-authentication: requestheader-allowed-names is not a JSON list`);
  }
  return { caPem, allowedNames };
}

export async function serveMetricsApi(o: MetricsApiOptions): Promise<ServedMetricsApi> {
  if (/^(127\.|::1$|localhost$)/.test(o.host)) throw new Error(`the metrics address ${o.host} is loopback: the API server refuses loopback endpoints; give a node address`);
  const trust = await frontProxyTrust(o.client);
  const now = new Date(o.now());
  const serviceName = `${SERVICE}.${NS}.svc`;
  const ca = await createCAAsync({ commonName: `${o.managedBy}-metrics-ca`, now, validityDays: 365 });
  const serving = await issueCertAsync(ca, { commonName: serviceName, usage: 'server', dnsNames: [serviceName], now, validityDays: 365 });
  const server: Server = await startMetricsApiServer({ certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: trust.caPem, allowedNames: trust.allowedNames, source: o.source }, o.host, o.port ?? 0);
  const slice = `metrics-server-${o.managedBy}`;
  const port = (server.address() as { port: number }).port;
  const close = () => new Promise<void>((r) => server.close(() => r()));
  const caBundle = Buffer.from(ca.certPem).toString('base64');
  const register = async () => {
    const ports = [{ name: 'https', port: 443, targetPort: port, protocol: 'TCP' }];
    await applyObject(o.client, resources.services, NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: SERVICE, namespace: NS, labels: { 'app.kubernetes.io/managed-by': o.managedBy } }, spec: { ports } }, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, 'app.kubernetes.io/managed-by': o.managedBy } }, spec: { ...cur.spec, selector: undefined, ports } }));
    const sliceObj = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: slice, namespace: NS, labels: { 'kubernetes.io/service-name': SERVICE, 'endpointslice.kubernetes.io/managed-by': o.managedBy } },
      addressType: o.host.includes(':') ? 'IPv6' : 'IPv4',
      endpoints: [{ addresses: [o.host], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    };
    await applyObject(o.client, resources.endpointslices, NS, sliceObj, (cur) => ({ ...cur, ...sliceObj, metadata: { ...cur.metadata, labels: sliceObj.metadata.labels } }));
    const spec = { group: 'metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100, service: { namespace: NS, name: SERVICE, port: 443 }, caBundle };
    await applyObject(o.client, APISERVICES, '', { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: METRICS_APISERVICE }, spec }, (cur) => ({ ...cur, spec }));
  };
  try {
    await register();
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url: `https://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    async reconcile() {
      let api: K8sObject;
      try {
        api = await o.client.get(APISERVICES, '', METRICS_APISERVICE);
      } catch (err) {
        if (isNotFound(err)) return register();
        throw err;
      }
      // Another server registered since: its CA is in the APIService, so ours must not be an endpoint.
      if (api.spec?.caBundle !== caBundle) await o.client.delete(resources.endpointslices, NS, slice).catch((err) => { if (!isNotFound(err)) throw err; });
    },
    async stop() {
      await close();
      await o.client.delete(resources.endpointslices, NS, slice).catch(() => undefined);
      // What another server registered since is left to it.
      const api = await o.client.get(APISERVICES, '', METRICS_APISERVICE).catch(() => undefined);
      if (api?.spec?.caBundle !== caBundle) return;
      await o.client.delete(APISERVICES, '', METRICS_APISERVICE).catch(() => undefined);
      await o.client.delete(resources.services, NS, SERVICE).catch(() => undefined);
    },
  };
}
