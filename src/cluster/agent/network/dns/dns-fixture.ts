/** A generated cluster for the DNS index's tests and bench: Services of every kind, their slices, pods. */
import { FakeApiClient, fakeInformerFactory } from '../../../client/fake.ts';
import { resources } from '../../../client/resources.ts';
import type { Informer, InformerFactory, K8sObject } from '../../../client/types.ts';

/** `n` pods in `namespaces` namespaces, one Service per `podsPerService` pods (every 5th headless, every 50th ExternalName). */
export function generatedCluster(n: number, podsPerService: number, namespaces = 20): { services: K8sObject[]; slices: K8sObject[]; pods: K8sObject[] } {
  const services: K8sObject[] = [];
  const slices: K8sObject[] = [];
  const pods: K8sObject[] = [];
  const podIP = (i: number) => `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  for (let i = 0; i < n; i++) {
    const phase = i % 97 === 0 ? 'Succeeded' : 'Running';
    const v6 = i % 10 === 0 ? [{ ip: `fd00:10:244::${i.toString(16)}` }] : [];
    pods.push({ metadata: { name: `p${i}`, namespace: `ns${i % namespaces}`, uid: `pod-${i}` }, status: { phase, podIP: podIP(i), podIPs: [{ ip: podIP(i) }, ...v6] } });
  }
  for (let s = 0; s * podsPerService < n; s++) {
    const ns = `ns${s % namespaces}`;
    const name = `svc${s}`;
    const kind = s % 50 === 49 ? 'ExternalName' : s % 5 === 0 ? 'Headless' : 'ClusterIP';
    const ports = [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'dns', protocol: 'UDP', port: 53 }];
    const spec: Record<string, unknown> =
      kind === 'ExternalName' ? { type: 'ExternalName', externalName: `ext${s}.example.com.` }
      : kind === 'Headless' ? { clusterIP: 'None', clusterIPs: ['None'], ports }
      : { clusterIP: `10.96.${Math.floor(s / 250)}.${(s % 250) + 1}`, clusterIPs: [`10.96.${Math.floor(s / 250)}.${(s % 250) + 1}`, ...(s % 7 === 0 ? [`fd00:10:96::${s.toString(16)}`] : [])], ports };
    services.push({ metadata: { name, namespace: ns, uid: `svc-${s}` }, spec });
    // Two slices per Service (as the controller splits them), endpoints from its share of the pods.
    for (let k = 0; k < 2; k++) {
      const endpoints = [];
      for (let j = k; j < podsPerService && s * podsPerService + j < n; j += 2) {
        const i = s * podsPerService + j;
        endpoints.push({ addresses: [podIP(i)], ...(j === 0 ? { hostname: `${name}-0` } : {}), conditions: { ready: i % 3 !== 0 } });
      }
      slices.push({ metadata: { name: `${name}-${k === 0 ? 'b' : 'a'}`, namespace: ns, uid: `sl-${s}-${k}`, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }], endpoints } as K8sObject);
    }
  }
  return { services, slices, pods };
}

/** The cluster in a fake API server, with the three informers the DNS reads, synced. */
export async function clusterInformers(c: ReturnType<typeof generatedCluster>): Promise<{ client: FakeApiClient; factory: InformerFactory; services: Informer<K8sObject>; slices: Informer<K8sObject>; pods: Informer<K8sObject> }> {
  const client = new FakeApiClient();
  for (const o of c.services) client.seed(resources.services, o);
  for (const o of c.slices) client.seed(resources.endpointslices, o);
  for (const o of c.pods) client.seed(resources.pods, o);
  const factory = fakeInformerFactory(client);
  const services = factory.informer<K8sObject>(resources.services);
  const slices = factory.informer<K8sObject>(resources.endpointslices);
  const pods = factory.informer<K8sObject>(resources.pods);
  factory.start();
  await Promise.all([services.synced(), slices.synced(), pods.synced()]);
  return { client, factory, services, slices, pods };
}
