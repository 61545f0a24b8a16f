/**
 * Services on a node, in the manner of kube-proxy's nftables mode: one `ip` table, replaced
 * atomically, that DNATs a ClusterIP (and a NodePort on the node's own addresses) to one ready
 * endpoint chosen at random per connection, with ClientIP session affinity as a per-endpoint set
 * of recent clients (timeoutSeconds), masquerade for a pod reaching itself through its Service,
 * and an immediate reject for a Service port that has no ready endpoint. NetworkPolicy sees the
 * connection after the DNAT, at the endpoint: policies are about pods, not Service addresses.
 */
import { createHash } from 'node:crypto';
import type { K8sObject } from '../../client/types.ts';

export interface ServiceEndpoint {
  ip: string;
  port: number;
}

export interface ServicePortRule {
  /** ns/name:port, for comments and chain names. */
  id: string;
  clusterIPs: string[];
  protocol: 'tcp' | 'udp' | 'sctp';
  port: number;
  nodePort?: number;
  endpoints: ServiceEndpoint[];
  /** ClientIP affinity timeout in seconds, when the Service asks for it. */
  affinitySeconds?: number;
}

const HAIRPIN_MARK = '0x4000';

type Json = Record<string, any>;

/** The ready endpoints of each Service port, from Services and their EndpointSlices. */
export function serviceRules(services: readonly K8sObject[], slices: readonly K8sObject[]): ServicePortRule[] {
  const byService = new Map<string, K8sObject[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc || (s as Json).addressType !== 'IPv4') continue;
    const k = `${s.metadata.namespace}/${svc}`;
    byService.set(k, [...(byService.get(k) ?? []), s]);
  }
  const out: ServicePortRule[] = [];
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as Json;
    const ips = ((spec.clusterIPs as string[] | undefined) ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None' && ip !== '' && !ip.includes(':'));
    if (ips.length === 0 || spec.type === 'ExternalName') continue;
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    for (const p of (spec.ports as Json[] | undefined) ?? []) {
      const protocol = String(p.protocol ?? 'TCP').toLowerCase() as ServicePortRule['protocol'];
      const endpoints: ServiceEndpoint[] = [];
      const seen = new Set<string>();
      for (const slice of byService.get(key) ?? []) {
        const sp = ((slice as Json).ports as Json[] | undefined)?.find((x) => (x.name ?? '') === (p.name ?? '') && String(x.protocol ?? 'TCP').toLowerCase() === protocol);
        if (!sp?.port) continue;
        for (const e of ((slice as Json).endpoints as Json[] | undefined) ?? []) {
          // An absent ready condition means ready (EndpointSlice API).
          if (e.conditions?.ready === false) continue;
          for (const ip of (e.addresses as string[] | undefined) ?? []) {
            const k = `${ip}:${sp.port}`;
            if (seen.has(k)) continue;
            seen.add(k);
            endpoints.push({ ip, port: Number(sp.port) });
          }
        }
      }
      endpoints.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port));
      const affinity = spec.sessionAffinity === 'ClientIP' ? Number(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
      out.push({ id: `${key}:${p.name || p.port}`, clusterIPs: ips, protocol, port: Number(p.port), nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? Number(p.nodePort) || undefined : undefined, endpoints, affinitySeconds: affinity });
    }
  }
  return out;
}

const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

export function renderServices(rules: readonly ServicePortRule[], table = 'portcullis_svc'): string {
  const dispatch: string[] = [];
  const noEndpoints: string[] = [];
  const chains: string[] = [];
  const sets: string[] = [];
  for (const r of rules) {
    const svcChain = `svc_${h(r.id)}`;
    const match = (ip: string) => `ip daddr ${ip} ${r.protocol} dport ${r.port}`;
    const comment = `comment ${JSON.stringify(r.id)}`;
    if (r.endpoints.length === 0) {
      for (const ip of r.clusterIPs) noEndpoints.push(`${match(ip)} reject ${comment}`);
      if (r.nodePort) noEndpoints.push(`fib daddr type local ${r.protocol} dport ${r.nodePort} reject ${comment}`);
      continue;
    }
    for (const ip of r.clusterIPs) dispatch.push(`${match(ip)} goto ${svcChain} ${comment}`);
    if (r.nodePort) dispatch.push(`fib daddr type local ${r.protocol} dport ${r.nodePort} goto ${svcChain} ${comment}`);
    const body: string[] = [];
    const epChains = r.endpoints.map((e) => ({ e, name: `sep_${h(`${r.id}|${e.ip}:${e.port}`)}` }));
    for (const { e, name } of epChains) {
      const lines = [`ip saddr ${e.ip} meta mark set meta mark | ${HAIRPIN_MARK}`];
      if (r.affinitySeconds !== undefined) {
        sets.push(`  set aff_${name.slice(4)} {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout ${r.affinitySeconds}s\n  }`);
        body.push(`ip saddr @aff_${name.slice(4)} goto ${name}`);
        lines.push(`update @aff_${name.slice(4)} { ip saddr }`);
      }
      lines.push(`meta l4proto ${r.protocol} dnat to ${e.ip}:${e.port}`);
      chains.push(chain(name, lines));
    }
    body.push(epChains.length === 1 ? `goto ${epChains[0]!.name}` : `numgen random mod ${epChains.length} vmap { ${epChains.map((x, i) => `${i} : goto ${x.name}`).join(', ')} }`);
    chains.push(chain(svcChain, body));
  }
  return [
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    ...sets,
    chain('nat_prerouting', ['type nat hook prerouting priority dstnat; policy accept;', 'jump services']),
    chain('nat_output', ['type nat hook output priority -100; policy accept;', 'jump services']),
    chain('nat_postrouting', ['type nat hook postrouting priority srcnat; policy accept;', `meta mark & ${HAIRPIN_MARK} == ${HAIRPIN_MARK} masquerade`]),
    chain('filter_forward', ['type filter hook forward priority -10; policy accept;', 'ct state new jump no_endpoints']),
    chain('filter_output', ['type filter hook output priority -10; policy accept;', 'ct state new jump no_endpoints']),
    chain('no_endpoints', noEndpoints),
    chain('services', dispatch),
    ...chains,
    '}',
    '',
  ].join('\n');
}

function chain(name: string, body: string[]): string {
  return `  chain ${name} {\n${body.map((l) => `    ${l}`).join('\n')}\n  }`;
}
