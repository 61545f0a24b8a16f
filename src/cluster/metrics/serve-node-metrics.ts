/**
 * metrics-server for the real nodes, deployed as upstream's manifest deploys it but in-process:
 * the ClusterRole system:metrics-server (nodes/metrics get; nodes and pods get, list, watch)
 * bound to the metrics server's own user, whose client certificate the cluster CA issues for this
 * run; system:aggregated-metrics-reader, aggregated into view/edit/admin so `kubectl top` works for
 * those roles; the collector (node-metrics.ts) acting with that identity; and metrics.k8s.io
 * served and registered (registration.ts). The administrator's client only writes the RBAC and
 * the registration, as `kubectl apply` of the manifest would.
 */
import type { CertKeyPem } from '../../pki/ca.ts';
import { issueCertAsync } from '../../pki/certs.ts';
import { RestClient } from '../client/rest-client.ts';
import type { ApiClient, ResourceRef } from '../client/types.ts';
import { DEFAULT_RESOLUTION_MS, NodeMetricsCollector } from './node-metrics.ts';
import { applyObject, serveMetricsApi } from './registration.ts';

export const METRICS_SERVER_USER = 'system:metrics-server';

const rbac = (resource: string, kind: string): ResourceRef => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource, kind, namespaced: false });
const CLUSTER_ROLES = rbac('clusterroles', 'ClusterRole');
const CLUSTER_ROLE_BINDINGS = rbac('clusterrolebindings', 'ClusterRoleBinding');
const LABELS = { 'k8s-app': 'metrics-server' };

export interface NodeMetricsServerOptions {
  /** Writes the RBAC and the registration. */
  admin: ApiClient;
  /** The API server's URL, for the metrics server's own client. */
  server: string;
  /** The cluster CA: issues the metrics server's certificate and signs the agents' serving ones. */
  ca: CertKeyPem;
  /** Node address to serve metrics.k8s.io on (not loopback). */
  host: string;
  resolutionMs?: number;
  now?: () => number;
  log: { warn(o: object, m: string): void };
}

async function applyRbac(admin: ApiClient): Promise<void> {
  const roles = [
    { name: METRICS_SERVER_USER, labels: LABELS, rules: [{ apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] }, { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }] },
    {
      name: 'system:aggregated-metrics-reader',
      labels: { ...LABELS, 'rbac.authorization.k8s.io/aggregate-to-admin': 'true', 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
    },
  ];
  for (const r of roles) {
    await applyObject(admin, CLUSTER_ROLES, '', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: r.name, labels: r.labels }, rules: r.rules }, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: r.labels }, rules: r.rules }));
  }
  const binding = { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: METRICS_SERVER_USER }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: METRICS_SERVER_USER }] };
  await applyObject(admin, CLUSTER_ROLE_BINDINGS, '', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: METRICS_SERVER_USER, labels: LABELS }, ...binding }, (cur) => ({ ...cur, subjects: binding.subjects }));
}

export async function startNodeMetricsServer(o: NodeMetricsServerOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const now = o.now ?? Date.now;
  await applyRbac(o.admin);
  const cert = await issueCertAsync(o.ca, { commonName: METRICS_SERVER_USER, usage: 'client', now: new Date(now()), validityDays: 365 });
  const identity = { caPem: o.ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem };
  const client = new RestClient({ server: o.server, identity, userAgent: 'portcullis-metrics-server' });
  const collector = new NodeMetricsCollector({ client, identity, resolutionMs: o.resolutionMs, now, log: o.log });
  collector.start();
  try {
    const served = await serveMetricsApi({ client: o.admin, host: o.host, source: collector.source, now, managedBy: 'portcullis' });
    // A simulator may register its own metrics server over this one: step aside, and come back when it stops.
    const reconcile = setInterval(() => void served.reconcile().catch((err) => o.log.warn({ err: (err as Error).message }, 'metrics: reconciling the metrics.k8s.io registration failed')), o.resolutionMs ?? DEFAULT_RESOLUTION_MS);
    return {
      url: served.url,
      async stop() {
        clearInterval(reconcile);
        await served.stop();
        await collector.stop();
        client.close();
      },
    };
  } catch (err) {
    await collector.stop();
    client.close();
    throw err;
  }
}
