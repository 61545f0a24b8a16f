/**
 * The cluster DNS's data with indexes on the node network's informers, so a query looks up the
 * objects it needs instead of scanning every Service, EndpointSlice and pod (a flood of pod-record
 * or reverse queries would otherwise cost the agent's event loop a scan of 10k pods per query).
 * The indexes are the informers' own (kept by their add, update and delete), so they hold no more
 * than the caches do.
 */
import type { Informer, K8sObject } from '../../../client/types.ts';
import { canonical, clusterIPs, type ClusterData } from './records.ts';

const SERVICE_IP = 'dns/service-ip';
const SLICE_SERVICE = 'dns/slice-service';
const SLICE_ADDRESS = 'dns/slice-address';
const POD_IP = 'dns/pod-ip';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

type Json = Record<string, any>;

const canonicalAll = (ips: Iterable<unknown>): string[] => [...new Set([...ips].flatMap((ip) => canonical(String(ip)) ?? []))];

function sliceService(sl: K8sObject): string | undefined {
  const name = sl.metadata.labels?.[SERVICE_NAME_LABEL];
  return typeof name === 'string' ? name : undefined;
}

export function indexedClusterData(services: Informer<K8sObject>, slices: Informer<K8sObject>, pods: Informer<K8sObject>): ClusterData {
  services.addIndexers({ [SERVICE_IP]: (s) => canonicalAll(clusterIPs(s)) });
  slices.addIndexers({
    [SLICE_SERVICE]: (sl) => {
      const name = sliceService(sl);
      return name === undefined ? [] : [`${sl.metadata.namespace ?? ''}/${name}`];
    },
    [SLICE_ADDRESS]: (sl) => canonicalAll((((sl as Json).endpoints as Json[] | undefined) ?? []).flatMap((e) => (Array.isArray(e?.addresses) ? e.addresses : []))),
  });
  pods.addIndexers({ [POD_IP]: (p) => canonicalAll((((p.status as Json | undefined)?.podIPs as Json[] | undefined) ?? []).map((x) => x?.ip)) });
  return {
    services: () => services.list(),
    endpointSlices: () => slices.list(),
    pods: () => pods.list(),
    index: {
      service: (ns, name) => services.get(ns, name),
      slicesOf: (ns, name) => slices.byIndex(SLICE_SERVICE, `${ns}/${name}`),
      podsAt: (ip) => pods.byIndex(POD_IP, ip),
      servicesAt(ip) {
        const found = new Set<K8sObject>(services.byIndex(SERVICE_IP, ip));
        for (const sl of slices.byIndex(SLICE_ADDRESS, ip)) {
          const name = sliceService(sl);
          const svc = name === undefined ? undefined : services.get(sl.metadata.namespace ?? '', name);
          if (svc) found.add(svc);
        }
        return [...found];
      },
    },
  };
}
