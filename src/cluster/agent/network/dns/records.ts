/**
 * The records of the cluster DNS (kubernetes/dns specification, as CoreDNS's kubernetes plugin
 * serves them with `pods verified`): Services by name (ClusterIP, or the ready endpoints of a
 * headless Service, or a CNAME for ExternalName), SRV per named port, endpoint hostnames of
 * headless Services, pod records a-b-c-d.<ns>.pod.<zone> for pods that exist, PTR for Service and
 * endpoint addresses, and the schema version TXT record. IPv4 addresses answer A queries and IPv6
 * ones AAAA (a Service's IPv6 clusterIPs, IPv6 EndpointSlices, pods' IPv6 podIPs, ip6.arpa PTR); a
 * name with no address of the asked family answers with no data (NOERROR), never NXDOMAIN.
 */
import { isIP } from 'node:net';
import type { K8sObject } from '../../../client/types.ts';

export type RecordType = 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME' | 'TXT';

export type Answer =
  | { type: 'A'; name: string; data: string }
  | { type: 'AAAA'; name: string; data: string }
  | { type: 'CNAME'; name: string; data: string }
  | { type: 'PTR'; name: string; data: string }
  | { type: 'TXT'; name: string; data: string }
  | { type: 'SRV'; name: string; data: { priority: number; weight: number; port: number; target: string } };

export type Lookup = { rcode: 'NOERROR'; answers: Answer[]; additionals: Answer[] } | { rcode: 'NXDOMAIN' } | { rcode: 'REFUSED' };

export interface ClusterData {
  services(): readonly K8sObject[];
  endpointSlices(): readonly K8sObject[];
  pods(): readonly K8sObject[];
  /**
   * Indexes (dns/indexed-data.ts, on the informers): when given, a query looks up what it needs
   * instead of scanning the lists above. Each returns what the scan would select, at least.
   */
  readonly index?: {
    service(ns: string, name: string): K8sObject | undefined;
    /** EndpointSlices labelled kubernetes.io/service-name=<name> in ns. */
    slicesOf(ns: string, name: string): readonly K8sObject[];
    /** Pods with this podIP (canonical). */
    podsAt(ip: string): readonly K8sObject[];
    /** Services with this clusterIP, or with an EndpointSlice holding this address (canonical), once each. */
    servicesAt(ip: string): readonly K8sObject[];
  };
}

type Json = Record<string, any>;

const FINISHED_PHASES = new Set(['Succeeded', 'Failed', 'Unknown']);

export class ClusterDns {
  readonly zone: string;
  readonly #data: ClusterData;

  constructor(data: ClusterData, zone = 'cluster.local') {
    this.#data = data;
    this.zone = zone.toLowerCase().replace(/\.$/, '');
  }

  lookup(qname: string, qtype: RecordType): Lookup {
    const name = qname.toLowerCase().replace(/\.$/, '');
    if (name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) return this.#reverse(name, qtype);
    if (name !== this.zone && !name.endsWith(`.${this.zone}`)) return { rcode: 'REFUSED' };
    const labels = name === this.zone ? [] : name.slice(0, -this.zone.length - 1).split('.');
    if (labels.length === 1 && labels[0] === 'dns-version') return answer(qtype === 'TXT' ? [{ type: 'TXT', name, data: '1.1.0' }] : []);
    const kind = labels.at(-1);
    if (kind === 'svc') return this.#service(name, labels.slice(0, -1), qtype);
    if (kind === 'pod' && labels.length === 3) return this.#pod(name, labels[0]!, labels[1]!, qtype);
    // The zone, <ns>.svc.<zone> and the like exist as names without records of their own.
    return labels.length <= 2 && (labels.length === 0 || ['svc', 'pod'].includes(labels.at(-1) ?? '')) ? answer([]) : { rcode: 'NXDOMAIN' };
  }

  #findService(ns: string, name: string): K8sObject | undefined {
    if (this.#data.index) return this.#data.index.service(ns, name);
    return this.#data.services().find((s) => s.metadata.namespace === ns && s.metadata.name === name);
  }

  /** The Service's EndpointSlices, by name (one order whatever the informer's). */
  #slicesOf(svc: K8sObject): K8sObject[] {
    const ns = svc.metadata.namespace;
    const name = svc.metadata.name;
    const slices = this.#data.index
      ? this.#data.index.slicesOf(ns ?? '', name ?? '').filter((sl) => sl.metadata.namespace === ns)
      : this.#data.endpointSlices().filter((sl) => sl.metadata.namespace === ns && sl.metadata.labels?.['kubernetes.io/service-name'] === name);
    return slices.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
  }

  #readyEndpoints(svc: K8sObject): Array<{ ip: string; hostname?: string; ports: Json[] }> {
    const out: Array<{ ip: string; hostname?: string; ports: Json[] }> = [];
    for (const sl of this.#slicesOf(svc)) {
      if (!['IPv4', 'IPv6'].includes((sl as Json).addressType)) continue;
      for (const e of ((sl as Json).endpoints as Json[] | undefined) ?? []) {
        // Headless Services publish not-ready addresses only when they ask to.
        if (e.conditions?.ready === false && !(svc.spec as Json | undefined)?.publishNotReadyAddresses) continue;
        for (const ip of (e.addresses as string[] | undefined) ?? []) out.push({ ip, hostname: e.hostname, ports: ((sl as Json).ports as Json[] | undefined) ?? [] });
      }
    }
    return out;
  }

  #service(fqdn: string, labels: string[], qtype: RecordType): Lookup {
    // <svc>.<ns> | <hostname>.<svc>.<ns> | _<port>._<proto>.<svc>.<ns>
    if (labels.length === 1) return answer([]);
    if (labels.length === 4 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) return this.#srv(fqdn, labels[0]!.slice(1), labels[1]!.slice(1), labels[2]!, labels[3]!, qtype);
    if (labels.length === 3) {
      const svc = this.#findService(labels[2]!, labels[1]!);
      if (!svc || !isHeadless(svc)) return { rcode: 'NXDOMAIN' };
      const eps = this.#readyEndpoints(svc).filter((e) => endpointHostname(e) === labels[0]);
      if (eps.length === 0) return { rcode: 'NXDOMAIN' };
      return answer(addressRecords(fqdn, eps.map((e) => e.ip), qtype));
    }
    if (labels.length !== 2) return { rcode: 'NXDOMAIN' };
    const svc = this.#findService(labels[1]!, labels[0]!);
    if (!svc) return { rcode: 'NXDOMAIN' };
    const spec = (svc.spec ?? {}) as Json;
    if (spec.type === 'ExternalName') return answer([{ type: 'CNAME', name: fqdn, data: String(spec.externalName).replace(/\.$/, '') }]);
    if (qtype === 'SRV') return this.#srvAll(fqdn, svc);
    if (isHeadless(svc)) return answer(addressRecords(fqdn, this.#readyEndpoints(svc).map((e) => e.ip), qtype));
    return answer(addressRecords(fqdn, clusterIPs(svc), qtype));
  }

  #srv(fqdn: string, port: string, proto: string, svcName: string, ns: string, qtype: RecordType): Lookup {
    const svc = this.#findService(ns, svcName);
    if (!svc) return { rcode: 'NXDOMAIN' };
    const ports = (((svc.spec as Json | undefined)?.ports as Json[] | undefined) ?? []).filter((p) => p.name === port && String(p.protocol ?? 'TCP').toLowerCase() === proto);
    if (ports.length === 0) return { rcode: 'NXDOMAIN' };
    if (qtype !== 'SRV') return answer([]);
    return this.#srvFor(fqdn, svc, ports);
  }

  #srvAll(fqdn: string, svc: K8sObject): Lookup {
    return this.#srvFor(fqdn, svc, (((svc.spec as Json | undefined)?.ports as Json[] | undefined) ?? []).filter((p) => p.name));
  }

  #srvFor(fqdn: string, svc: K8sObject, ports: Json[]): Lookup {
    const base = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.zone}`;
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    if (!isHeadless(svc)) {
      for (const p of ports) answers.push({ type: 'SRV', name: fqdn, data: { priority: 0, weight: 100, port: Number(p.port), target: base } });
      for (const ip of clusterIPs(svc)) additionals.push(addressRecord(base, ip));
      return { rcode: 'NOERROR', answers, additionals };
    }
    const eps = this.#readyEndpoints(svc);
    for (const p of ports) {
      for (const e of eps) {
        const ep = e.ports.find((x) => x.name === p.name);
        if (!ep) continue;
        const target = `${endpointHostname(e)}.${base}`;
        answers.push({ type: 'SRV', name: fqdn, data: { priority: 0, weight: Math.floor(100 / Math.max(1, eps.length)), port: Number(ep.port), target } });
        additionals.push(addressRecord(target, e.ip));
      }
    }
    return { rcode: 'NOERROR', answers, additionals };
  }

  #pod(fqdn: string, dashed: string, ns: string, qtype: RecordType): Lookup {
    // a-b-c-d for IPv4; an IPv6 address with its colons as dashes (2001-db8--7).
    const ip = /^\d{1,3}(-\d{1,3}){3}$/.test(dashed) ? dashed.replace(/-/g, '.') : canonical(dashed.replace(/-/g, ':'));
    if (!ip || isIP(ip) === 0) return { rcode: 'NXDOMAIN' };
    // `pods verified` as CoreDNS: its pod informer lists only pods not Succeeded, Failed or
    // Unknown, so a finished pod's address (given back, maybe already another pod's) has no name.
    const candidates = this.#data.index ? this.#data.index.podsAt(ip) : this.#data.pods();
    const exists = candidates.some((p) => p.metadata.namespace === ns && !FINISHED_PHASES.has(String((p.status as Json | undefined)?.phase)) && ((p.status as Json | undefined)?.podIPs as Json[] | undefined ?? []).some((x) => canonical(String(x.ip)) === ip));
    if (!exists) return { rcode: 'NXDOMAIN' };
    return answer(addressRecords(fqdn, [ip], qtype));
  }

  #reverse(name: string, qtype: RecordType): Lookup {
    const ip = reverseAddress(name);
    if (!ip) return { rcode: 'REFUSED' };
    const targets: string[] = [];
    for (const svc of this.#data.index ? this.#data.index.servicesAt(ip) : this.#data.services()) {
      if (clusterIPs(svc).some((c) => canonical(c) === ip)) targets.push(`${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.zone}`);
      else if (isHeadless(svc)) for (const e of this.#readyEndpoints(svc)) if (canonical(e.ip) === ip && e.hostname) targets.push(`${e.hostname}.${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.zone}`);
    }
    // Addresses outside the cluster's Services are not ours to answer.
    if (targets.length === 0) return { rcode: 'REFUSED' };
    targets.sort();
    return answer(qtype === 'PTR' ? targets.map((t) => ({ type: 'PTR' as const, name, data: t })) : []);
  }
}

function answer(answers: Answer[]): Lookup {
  return { rcode: 'NOERROR', answers, additionals: [] };
}

function isHeadless(svc: K8sObject): boolean {
  return (svc.spec as Json | undefined)?.clusterIP === 'None';
}

export function clusterIPs(svc: K8sObject): string[] {
  const spec = (svc.spec ?? {}) as Json;
  return ((spec.clusterIPs as string[] | undefined) ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip && ip !== 'None' && isIP(ip) !== 0);
}

/** An endpoint's DNS label: its hostname, or its address with dashes (as CoreDNS; IPv6 colons too). */
function endpointHostname(e: { ip: string; hostname?: string }): string {
  return e.hostname || e.ip.replace(/[.:]/g, '-');
}

function addressRecord(name: string, ip: string): Answer {
  return isIP(ip) === 6 ? { type: 'AAAA', name, data: ip } : { type: 'A', name, data: ip };
}

/** The addresses of the asked family as A or AAAA records; any other query type gets none. */
function addressRecords(name: string, ips: readonly string[], qtype: RecordType): Answer[] {
  const family = qtype === 'A' ? 4 : qtype === 'AAAA' ? 6 : 0;
  return ips.filter((ip) => isIP(ip) === family).map((ip) => addressRecord(name, ip));
}

/** One spelling per address (IPv6 compressed and lower case), so differently written forms compare equal. */
export function canonical(ip: string): string | undefined {
  const f = isIP(ip);
  if (f === 4) return ip;
  if (f !== 6) return undefined;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** The address a reverse name stands for: d.c.b.a.in-addr.arpa, or 32 nibbles of ip6.arpa. */
function reverseAddress(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    const ip = parts.reverse().join('.');
    return parts.length === 4 && isIP(ip) === 4 ? ip : undefined;
  }
  const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
  if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
  const hex = nibbles.reverse().join('');
  return canonical(hex.match(/.{4}/g)!.join(':'));
}
