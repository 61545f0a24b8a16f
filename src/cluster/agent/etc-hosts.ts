/**
 * The pod's /etc/hosts and hostname as the kubelet makes them (pkg/kubelet/kubelet_pods.go:
 * managedHostsFileContent, nodeHostsFileContent, hostsEntriesFromHostAliases,
 * GeneratePodHostNameAndDomain; pkg/kubelet/util GetNodenameForKernel). Pure: the caller reads the
 * node's /etc/hosts and writes the file.
 */
import type { HostAlias, Pod } from 'kubernetes-types/core/v1.js';
import { podHostname } from './runtime/oci-spec.ts';

export const MANAGED_HOSTS_HEADER = '# Kubernetes-managed hosts file.\n';
export const MANAGED_HOSTS_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** spec.hostAliases after an empty line and their header, one line per IP: nothing without aliases. */
export function hostsEntriesFromHostAliases(aliases: readonly HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip ?? ''}\t${(a.hostnames ?? []).join('\t')}\n`;
  return out;
}

/** A pod off the host network: localhost, the IPv6 names, each pod IP with the hostname (and FQDN), then the aliases. */
export function managedHostsFileContent(podIPs: readonly string[], hostname: string, domain: string, aliases?: readonly HostAlias[]): string {
  let out = MANAGED_HOSTS_HEADER;
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + hostsEntriesFromHostAliases(aliases);
}

/** A host-network pod: the node's own /etc/hosts under its header, then the aliases. */
export function nodeHostsFileContent(nodeHosts: string, aliases?: readonly HostAlias[]): string {
  return MANAGED_HOSTS_HEADER_HOST_NETWORK + nodeHosts + hostsEntriesFromHostAliases(aliases);
}

/** GeneratePodHostNameAndDomain: spec.hostname or the name (truncated to 63), and with a subdomain <subdomain>.<ns>.svc.<cluster domain>. */
export function podHostnameAndDomain(pod: Pod, clusterDomain = DEFAULT_CLUSTER_DOMAIN): { hostname: string; domain: string } {
  const spec = pod.spec ?? { containers: [] };
  const hostname = podHostname(pod.metadata?.name ?? '', spec);
  const domain = spec.subdomain ? `${spec.subdomain}.${pod.metadata?.namespace ?? ''}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

/** Linux's nodename holds 64 characters (65 with the terminating NUL). */
const FQDN_MAX_LEN = 64;

/**
 * GetNodenameForKernel: the hostname the sandbox's UTS namespace gets, the FQDN when
 * setHostnameAsFQDN and the pod has a domain; a longer FQDN than the kernel holds fails the sandbox.
 */
export function nodenameForKernel(hostname: string, domain: string, setHostnameAsFQDN: boolean | undefined): string {
  if (!domain || setHostnameAsFQDN !== true) return hostname;
  const fqdn = `${hostname}.${domain}`;
  if (fqdn.length > FQDN_MAX_LEN) throw new Error(`failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${FQDN_MAX_LEN} characters is the max, ${fqdn.length} characters requested)`);
  return fqdn;
}
