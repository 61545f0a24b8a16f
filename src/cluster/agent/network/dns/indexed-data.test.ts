import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../../client/resources.ts';
import type { K8sObject } from '../../../client/types.ts';
import { clusterInformers, generatedCluster } from './dns-fixture.ts';
import { indexedClusterData } from './indexed-data.ts';
import { ClusterDns, type RecordType } from './records.ts';

/** Every name and address the generated cluster has, plus misses, in every query type. */
function queries(c: ReturnType<typeof generatedCluster>): Array<[string, RecordType]> {
  const names: string[] = ['10-244-250-1.ns0.pod.cluster.local', '1.2.3.4.in-addr.arpa', 'nope.ns0.svc.cluster.local'];
  const rev4 = (ip: string) => `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const rev6 = (ip: string) => {
    const full = new URL(`http://[${ip}]/`).hostname.slice(1, -1).split(':');
    const gap = 8 - full.filter((g) => g !== '').length;
    // The one '::' of a compressed address stands for the missing groups.
    const groups = full.flatMap((g, i) => (g !== '' ? [g] : full[i - 1] !== '' ? Array<string>(gap).fill('0') : []));
    return `${groups.map((g) => g.padStart(4, '0')).join('').split('').reverse().join('.')}.ip6.arpa`;
  };
  for (const s of c.services) {
    const base = `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`;
    names.push(base, `_http._tcp.${base}`, `_dns._udp.${base}`, `${s.metadata.name}-0.${base}`);
    for (const ip of (s.spec as { clusterIPs?: string[] }).clusterIPs ?? []) if (ip !== 'None') names.push(ip.includes(':') ? rev6(ip) : rev4(ip));
  }
  for (const p of c.pods) {
    for (const { ip } of (p.status as { podIPs: Array<{ ip: string }> }).podIPs) {
      names.push(`${ip.replace(/[.:]/g, '-')}.${p.metadata.namespace}.pod.cluster.local`, `${ip.replace(/[.:]/g, '-')}.ns1.pod.cluster.local`, ip.includes(':') ? rev6(ip) : rev4(ip));
      names.push(`${ip.replace(/[.:]/g, '-')}.svc${Number(p.metadata.name!.slice(1)) >> 2}.${p.metadata.namespace}.svc.cluster.local`);
    }
  }
  return names.flatMap((n) => (['A', 'AAAA', 'SRV', 'PTR'] as RecordType[]).map((t) => [n, t] as [string, RecordType]));
}

test('indexed answers equal the scan on a generated cluster, also after updates and deletes', async () => {
  const c = generatedCluster(600, 4, 7);
  const { client, factory, services: svc, slices: sl, pods: pod } = await clusterInformers(c);
  try {
    const indexed = new ClusterDns(indexedClusterData(svc, sl, pod));
    const scan = new ClusterDns({ services: () => svc.list(), endpointSlices: () => sl.list(), pods: () => pod.list() });
    const compare = () => {
      let answered = 0;
      for (const [name, type] of queries(c)) {
        const want = scan.lookup(name, type);
        assert.deepEqual(indexed.lookup(name, type), want, `${type} ${name}`);
        if (want.rcode === 'NOERROR' && want.answers.length > 0) answered++;
      }
      return answered;
    };
    assert.ok(compare() > 1_500, 'the queries find records');
    // Changes go through the informers' events: addresses move, objects go, a Service becomes headless.
    await client.delete(resources.pods, 'ns3', 'p3');
    const moved = await client.get<K8sObject>(resources.pods, 'ns3', 'p10');
    await client.update(resources.pods, 'ns3', { ...moved, status: { phase: 'Running', podIPs: [{ ip: '10.244.200.200' }] } }, 'status');
    await client.delete(resources.endpointslices, c.slices[4]!.metadata.namespace!, c.slices[4]!.metadata.name!);
    const headless = await client.get<K8sObject>(resources.services, c.services[1]!.metadata.namespace!, c.services[1]!.metadata.name!);
    await client.update(resources.services, headless.metadata.namespace!, { ...headless, spec: { clusterIP: 'None', clusterIPs: ['None'] } });
    await client.delete(resources.services, c.services[2]!.metadata.namespace!, c.services[2]!.metadata.name!);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pod.get('ns3', 'p3'), undefined);
    compare();
    assert.equal(indexed.lookup('10-244-200-200.ns3.pod.cluster.local', 'A').rcode, 'NOERROR');
  } finally {
    factory.stop();
  }
});
