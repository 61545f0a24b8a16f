/**
 * Cluster DNS lookup cost in the agent's process at 10k pods / 2k Services: the per-query time of
 * each kind of question, answered by scanning the informers' lists (ClusterDns over plain lists,
 * the fallback) and with the informer indexes (indexedClusterData). Run:
 * `node bench/dns-lookup.ts [pods] [podsPerService]`. Set RECORDS=<path to records.ts> to time
 * another build of the records module (e.g. an older one) in the scan column.
 */
import { clusterInformers, generatedCluster } from '../src/cluster/agent/network/dns/dns-fixture.ts';
import { indexedClusterData } from '../src/cluster/agent/network/dns/indexed-data.ts';
import { ClusterDns } from '../src/cluster/agent/network/dns/records.ts';

const n = Number(process.argv[2] ?? 10_000);
const perService = Number(process.argv[3] ?? 5);
const c = generatedCluster(n, perService);
const { factory, services: svc, slices: sl, pods: pod } = await clusterInformers(c);
const Scan = process.env.RECORDS ? ((await import(process.env.RECORDS)) as { ClusterDns: typeof ClusterDns }).ClusterDns : ClusterDns;
const scan = new Scan({ services: () => svc.list(), endpointSlices: () => sl.list(), pods: () => pod.list() });
const indexed = new ClusterDns(indexedClusterData(svc, sl, pod));

const rev = (ip: string) => `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
const podIP = (i: number) => `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const kinds: Record<string, (i: number) => [string, 'A' | 'PTR' | 'SRV']> = {
  'pod A (a-b-c-d.ns.pod)': (i) => [`${podIP(i % n).replace(/\./g, '-')}.ns${(i % n) % 20}.pod.cluster.local`, 'A'],
  'PTR of a pod address': (i) => [rev(podIP(i % n)), 'PTR'],
  'PTR of a ClusterIP': (i) => { const s = (i % c.services.length) | 1; return [rev(`10.96.${Math.floor(s / 250)}.${(s % 250) + 1}`), 'PTR']; },
  'Service A (ClusterIP)': (i) => { const s = (i % c.services.length) | 1; return [`svc${s}.ns${s % 20}.svc.cluster.local`, 'A']; },
  'headless Service A': (i) => { const s = (i % c.services.length) - ((i % c.services.length) % 5); return [`svc${s}.ns${s % 20}.svc.cluster.local`, 'A']; },
};

function perQuery(dns: ClusterDns, q: (i: number) => [string, 'A' | 'PTR' | 'SRV'], budgetMs: number): number {
  let count = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs) {
    for (let k = 0; k < 50; k++, count++) dns.lookup(...q(count * 7919));
  }
  return ((performance.now() - t0) * 1000) / count;
}

console.log(`${n} pods, ${c.services.length} Services, ${c.slices.length} EndpointSlices`);
console.log('query                      scan µs   indexed µs');
for (const [name, q] of Object.entries(kinds)) {
  perQuery(scan, q, 100);
  perQuery(indexed, q, 100);
  const s = perQuery(scan, q, 1000);
  const x = perQuery(indexed, q, 1000);
  console.log(`${name.padEnd(26)} ${s.toFixed(1).padStart(8)} ${x.toFixed(2).padStart(11)}`);
}
factory.stop();
