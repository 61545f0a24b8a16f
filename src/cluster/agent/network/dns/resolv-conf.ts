/**
 * A pod's /etc/resolv.conf, as the kubelet writes it for its dnsPolicy: ClusterFirst (the default)
 * points at the cluster DNS with the search path <ns>.svc.<domain> svc.<domain> <domain> and
 * ndots:5; a pod on the host network falls back to Default (the host's resolv.conf) unless it says
 * ClusterFirstWithHostNet; None takes only dnsConfig; dnsConfig's nameservers, searches and options
 * are merged in (options by name, the pod's winning), with the kubelet's limits (3 nameservers, 32
 * search domains).
 */
const MAX_NAMESERVERS = 3;
const MAX_SEARCH = 32;

interface DnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: Array<{ name: string; value?: string }>;
}

export interface ResolvInputs {
  namespace: string;
  dnsPolicy?: string;
  hostNetwork?: boolean;
  dnsConfig?: DnsConfig;
  clusterDNS: string[];
  clusterDomain: string;
  /** The node's own resolv.conf text (for Default). */
  hostResolvConf: string;
}

/**
 * The kubelet's getPodDNSType: ClusterFirstWithHostNet, and ClusterFirst (the default) off the
 * host network, use the cluster DNS; ClusterFirst on the host network falls back to Default.
 */
function podDnsType(p: { dnsPolicy?: string; hostNetwork?: boolean }): 'ClusterFirst' | 'Default' | 'None' {
  const policy = p.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'None') return 'None';
  if (policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !p.hostNetwork)) return 'ClusterFirst';
  return 'Default';
}

/**
 * Whether the pod uses the cluster DNS and the node has no address for it (--cluster-dns ''): the
 * kubelet then records MissingClusterDNS (missingClusterDnsMessage) and falls back to Default.
 */
export function missingClusterDNS(p: { dnsPolicy?: string; hostNetwork?: boolean }, clusterDNS: readonly string[]): boolean {
  return clusterDNS.length === 0 && podDnsType(p) === 'ClusterFirst';
}

/** The kubelet's message of the MissingClusterDNS event (GetPodDNS), on the Node. */
export const MISSING_CLUSTER_DNS_MESSAGE = 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';

export function resolvConfFor(p: ResolvInputs): string {
  let policy = podDnsType(p);
  // No cluster DNS address: the kubelet falls back to Default (missingClusterDNS).
  if (policy === 'ClusterFirst' && p.clusterDNS.length === 0) policy = 'Default';
  let nameservers: string[] = [];
  let searches: string[] = [];
  let options: Array<{ name: string; value?: string }> = [];
  if (policy === 'ClusterFirst') {
    nameservers = [...p.clusterDNS];
    searches = [`${p.namespace}.svc.${p.clusterDomain}`, `svc.${p.clusterDomain}`, p.clusterDomain];
    options = [{ name: 'ndots', value: '5' }];
  } else if (policy === 'Default') {
    for (const line of p.hostResolvConf.split('\n')) {
      const [k, ...v] = line.trim().split(/\s+/);
      if (k === 'nameserver' && v[0]) nameservers.push(v[0]);
      else if (k === 'search') searches = v;
      else if (k === 'options') options = v.map((o) => ({ name: o.split(':')[0]!, value: o.includes(':') ? o.split(':')[1] : undefined }));
    }
  }
  const c = p.dnsConfig ?? {};
  nameservers = [...new Set([...nameservers, ...(c.nameservers ?? [])])].slice(0, MAX_NAMESERVERS);
  searches = [...new Set([...searches, ...(c.searches ?? [])])].slice(0, MAX_SEARCH);
  const byName = new Map(options.map((o) => [o.name, o]));
  for (const o of c.options ?? []) byName.set(o.name, o);
  const lines: string[] = [];
  if (searches.length) lines.push(`search ${searches.join(' ')}`);
  for (const n of nameservers) lines.push(`nameserver ${n}`);
  if (byName.size) lines.push(`options ${[...byName.values()].map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name)).join(' ')}`);
  return lines.join('\n') + '\n';
}
