/**
 * etcd_lease_object_counts, kube-apiserver's histogram of how many objects went on one etcd lease
 * (k8s.io/apiserver/pkg/storage/etcd3/metrics: the name, help text and buckets are upstream's,
 * no labels). The etcd store's lease manager observes it on every grant (LeaseManagerOptions.onGrant).
 * Made before the server (the store is opened first) and registered on its registry afterwards;
 * only on etcd, where leases exist.
 */
import { Histogram, type Registry } from 'prom-client';

export class EtcdLeaseMetrics {
  private readonly objectCounts = new Histogram({
    name: 'etcd_lease_object_counts',
    help: 'Number of objects attached to a single etcd lease.',
    buckets: [10, 50, 100, 500, 1000, 2500, 5000],
    registers: [],
  });

  /** upstream's UpdateLeaseObjectCount. */
  readonly observe = (objects: number): void => this.objectCounts.observe(objects);

  /** Puts the histogram on the server's registry (`/metrics`). */
  register(registry: Registry): void {
    registry.registerMetric(this.objectCounts);
  }
}
