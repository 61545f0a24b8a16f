/**
 * Services on a node, in the manner of kube-proxy's nftables mode: one `ip` table, replaced
 * atomically, that DNATs a ClusterIP (and a NodePort on the node's own addresses) to one ready
 * endpoint chosen at random per connection, with ClientIP session affinity as a per-endpoint set
 * of recent clients (timeoutSeconds), masquerade for a pod reaching itself through its Service,
 * and an immediate reject for a Service port that has no ready endpoint. NetworkPolicy sees the
 * connection after the DNAT, at the endpoint: policies are about pods, not Service addresses.
 * Traffic policies as kube-proxy: internalTrafficPolicy Local sends ClusterIP traffic to this
 * node's endpoints only; externalTrafficPolicy Local sends NodePort traffic to this node's
 * endpoints only and drops it when there is none (the client's source address is kept: there is
 * no masquerade but for a pod reaching itself).
 */
import { createHash } from 'node:crypto';
import type { K8sObject } from '../../client/types.ts';
import { canonicalIPv4s as ipv4s } from '../../../util/ip-sloppy.ts';

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
  /** Where ClusterIP traffic goes (this node's endpoints only for internalTrafficPolicy Local). */
  endpoints: ServiceEndpoint[];
  /** Where NodePort traffic goes when it differs from `endpoints` (externalTrafficPolicy Local: this node's only). */
  nodePortEndpoints?: ServiceEndpoint[];
  /** externalTrafficPolicy Local: NodePort traffic with no local endpoint is dropped rather than refused. */
  nodePortLocal?: boolean;
  /** ClientIP affinity timeout in seconds, when the Service asks for it. */
  affinitySeconds?: number;
}

const HAIRPIN_MARK = '0x4000';

type Json = Record<string, any>;

/**
 * kube-proxy's GetClusterIPByFamily(IPv4): the clusterIPs entry at the first IPv4 of ipFamilies,
 * or clusterIP when ipFamilies is unset (version skew). One address: a second IPv4 entry (which
 * validation refuses, but a Service stored before it did may hold) is not served.
 */
function clusterIPv4(spec: Json): unknown {
  const families: unknown[] = Array.isArray(spec.ipFamilies) ? spec.ipFamilies : [];
  if (families.length === 0) return spec.clusterIP;
  const i = families.indexOf('IPv4');
  // A Service stored without clusterIPs (written around the API's defaulting) has its clusterIP as the first.
  const ips: unknown[] = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP];
  return i >= 0 ? ips[i] : undefined;
}

/** The ready endpoints of each Service port, from Services and their EndpointSlices; `nodeName` is this node (traffic policies Local). */
export function serviceRules(services: readonly K8sObject[], slices: readonly K8sObject[], nodeName?: string): ServicePortRule[] {
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
    // Addresses as upstream's proxy reads them (ParseIPSloppy: "010.096.0.5" is 10.96.0.5, never
    // octal), written into the ruleset only in their canonical form.
    const ips = ipv4s([clusterIPv4(spec)]);
    if (ips.length === 0 || spec.type === 'ExternalName') continue;
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    for (const p of (spec.ports as Json[] | undefined) ?? []) {
      const protocol = String(p.protocol ?? 'TCP').toLowerCase() as ServicePortRule['protocol'];
      const endpoints: ServiceEndpoint[] = [];
      const local: ServiceEndpoint[] = [];
      const seen = new Set<string>();
      for (const slice of byService.get(key) ?? []) {
        const sp = ((slice as Json).ports as Json[] | undefined)?.find((x) => (x.name ?? '') === (p.name ?? '') && String(x.protocol ?? 'TCP').toLowerCase() === protocol);
        if (!sp?.port) continue;
        for (const e of ((slice as Json).endpoints as Json[] | undefined) ?? []) {
          // An absent ready condition means ready (EndpointSlice API).
          if (e.conditions?.ready === false) continue;
          for (const ip of ipv4s((e.addresses as string[] | undefined) ?? [])) {
            const k = `${ip}:${sp.port}`;
            if (seen.has(k)) continue;
            seen.add(k);
            endpoints.push({ ip, port: Number(sp.port) });
            if (nodeName !== undefined && e.nodeName === nodeName) local.push({ ip, port: Number(sp.port) });
          }
        }
      }
      for (const list of [endpoints, local]) list.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port));
      const affinity = spec.sessionAffinity === 'ClientIP' ? Number(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
      const nodePort = spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? Number(p.nodePort) || undefined : undefined;
      const internalLocal = spec.internalTrafficPolicy === 'Local' && nodeName !== undefined;
      const externalLocal = nodePort !== undefined && spec.externalTrafficPolicy === 'Local' && nodeName !== undefined;
      const rule: ServicePortRule = { id: `${key}:${p.name || p.port}`, clusterIPs: ips, protocol, port: Number(p.port), nodePort, endpoints: internalLocal ? local : endpoints, affinitySeconds: affinity };
      // NodePort traffic follows externalTrafficPolicy, whatever internalTrafficPolicy says.
      if (externalLocal) Object.assign(rule, { nodePortEndpoints: local, nodePortLocal: true });
      else if (internalLocal && nodePort !== undefined) rule.nodePortEndpoints = endpoints;
      out.push(rule);
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
    // One DNAT chain per endpoint (with its affinity set), shared by the rule's balancers.
    const made = new Set<string>();
    const endpointChain = (e: ServiceEndpoint): string => {
      const name = `sep_${h(`${r.id}|${e.ip}:${e.port}`)}`;
      if (made.has(name)) return name;
      made.add(name);
      const lines = [`ip saddr ${e.ip} meta mark set meta mark | ${HAIRPIN_MARK}`];
      if (r.affinitySeconds !== undefined) {
        sets.push(`  set aff_${name.slice(4)} {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout ${r.affinitySeconds}s\n  }`);
        lines.push(`update @aff_${name.slice(4)} { ip saddr }`);
      }
      lines.push(`meta l4proto ${r.protocol} dnat to ${e.ip}:${e.port}`);
      chains.push(chain(name, lines));
      return name;
    };
    // A chain picking one of these endpoints at random per connection (a known client first, with affinity).
    const balancer = (name: string, eps: readonly ServiceEndpoint[]) => {
      const targets = eps.map(endpointChain);
      const body = r.affinitySeconds !== undefined ? targets.map((t) => `ip saddr @aff_${t.slice(4)} goto ${t}`) : [];
      body.push(targets.length === 1 ? `goto ${targets[0]!}` : `numgen random mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(', ')} }`);
      chains.push(chain(name, body));
    };
    if (r.endpoints.length === 0) for (const ip of r.clusterIPs) noEndpoints.push(`${match(ip)} reject ${comment}`);
    else {
      balancer(svcChain, r.endpoints);
      for (const ip of r.clusterIPs) dispatch.push(`${match(ip)} goto ${svcChain} ${comment}`);
    }
    if (!r.nodePort) continue;
    const nodePort = `fib daddr type local ${r.protocol} dport ${r.nodePort}`;
    const eps = r.nodePortEndpoints ?? r.endpoints;
    if (eps.length === 0) noEndpoints.push(`${nodePort} ${r.nodePortLocal ? 'drop' : 'reject'} ${comment}`);
    else if (!r.nodePortEndpoints) dispatch.push(`${nodePort} goto ${svcChain} ${comment}`);
    else {
      balancer(`ext_${h(r.id)}`, eps);
      dispatch.push(`${nodePort} goto ext_${h(r.id)} ${comment}`);
    }
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
    // A NodePort on the node's own address is not forwarded: its no-endpoint verdict is taken on input.
    chain('filter_input', ['type filter hook input priority -10; policy accept;', 'ct state new jump no_endpoints']),
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
