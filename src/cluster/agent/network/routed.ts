/**
 * The pod network of one node, routed (in the manner of Calico): each pod's network namespace gets
 * one end of a veth pair as eth0 with its /32 address and a default route via 169.254.1.1, an
 * address the node holds on its loopback (so it answers the pods' ARP for it on every veth, and
 * nothing else needs proxy ARP); the node keeps the other end and a /32 route to the pod. There is
 * no bridge: every packet between pods, even on one node, is routed through the node's forward
 * hook, where the NetworkPolicy table (src/cluster/netpol) sees it without br_netfilter.
 */
import { createHash } from 'node:crypto';
import { PodAddressAllocator } from './ipam.ts';
import type { Run } from './ip-command.ts';

export interface PodNetRef {
  uid: string;
  namespace: string;
  name: string;
}

export interface PodNetwork {
  /** Gives the pod's network namespace (a path such as /proc/PID/ns/net) its address; idempotent. */
  setUp(pod: PodNetRef, netnsPath: string): Promise<{ ips: string[] }>;
  /** Removes the pod's interface and releases its address; idempotent. */
  tearDown(pod: PodNetRef): Promise<void>;
  addressOf(uid: string): string | undefined;
}

/** The pods' gateway: an address of the node's own (link-local, on lo). */
export const POD_GATEWAY = '169.254.1.1';

/** The node's end of each pod's veth is named this and a hash of the pod's uid. */
const HOST_INTERFACE_PREFIX = 'pc';

/**
 * Source check on what pods send (Calico's and Cilium's anti-spoofing): a packet a pod's interface
 * brings in from an address the node does not route back through that interface is dropped before
 * conntrack, DNAT or the policy table see it. Containers hold CAP_NET_RAW by default, so without
 * it a pod could send from another pod's address (the policy table picks rules by address) or
 * from an outside one an ipBlock admits. Both families: the pods have no IPv6 route, so on a node
 * that forwards IPv6 (which the policy table, IPv4 only, would not see) nothing a pod sends over
 * IPv6 gets past the node, while its link-local traffic to the node itself (neighbour discovery)
 * passes. A table of its own, replaced whole on each start.
 */
const ANTI_SPOOF_TABLE = 'portcullis_podnet';
export const antiSpoofScript = (): string =>
  [
    `table inet ${ANTI_SPOOF_TABLE}`,
    `delete table inet ${ANTI_SPOOF_TABLE}`,
    `table inet ${ANTI_SPOOF_TABLE} {`,
    '  chain antispoof {',
    '    type filter hook prerouting priority raw; policy accept;',
    `    iifname "${HOST_INTERFACE_PREFIX}*" fib saddr . iif oif missing drop`,
    '  }',
    '}',
    '',
  ].join('\n');

export function hostInterfaceName(uid: string): string {
  // 15 characters at most (IFNAMSIZ).
  return `${HOST_INTERFACE_PREFIX}${createHash('sha256').update(uid).digest('hex').slice(0, 11)}`;
}

export class RoutedPodNetwork implements PodNetwork {
  readonly #run: Run;
  readonly #ipam: PodAddressAllocator;

  constructor(opts: { podCIDR: string; stateFile: string; run: Run }) {
    this.#run = opts.run;
    this.#ipam = new PodAddressAllocator(opts.podCIDR, opts.stateFile);
  }

  /** Node-wide settings the routed layout needs; once at start. */
  async init(): Promise<void> {
    await this.#run(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await this.#run(['ip', 'addr', 'replace', `${POD_GATEWAY}/32`, 'dev', 'lo']);
    await this.#run(['nft', '-f', '-'], antiSpoofScript());
  }

  async setUp(pod: PodNetRef, netnsPath: string): Promise<{ ips: string[] }> {
    const ip = this.#ipam.allocate(pod.uid);
    const host = hostInterfaceName(pod.uid);
    const peer = `${host}p`.slice(0, 15);
    const inPod = (args: string[]) => this.#run(['nsenter', `--net=${netnsPath}`, ...args]);
    const exists = await this.#run(['ip', '-o', 'link', 'show', 'dev', host]).then(() => true, () => false);
    if (!exists) {
      await this.#run(['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
      try {
        await this.#run(['ip', 'link', 'set', peer, 'netns', netnsPath]);
        await inPod(['ip', 'link', 'set', peer, 'name', 'eth0']);
        await inPod(['ip', 'link', 'set', 'lo', 'up']);
        await inPod(['ip', 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
        await inPod(['ip', 'link', 'set', 'eth0', 'up']);
        await inPod(['ip', 'route', 'add', POD_GATEWAY, 'dev', 'eth0', 'scope', 'link']);
        await inPod(['ip', 'route', 'add', 'default', 'via', POD_GATEWAY, 'dev', 'eth0']);
        await this.#refuseRouterAdvertisements(host);
        await this.#run(['ip', 'link', 'set', host, 'up']);
      } catch (err) {
        await this.#run(['ip', 'link', 'del', host]).catch(() => {});
        throw err;
      }
    } else await this.#refuseRouterAdvertisements(host);
    await this.#run(['ip', 'route', 'replace', `${ip}/32`, 'dev', host, 'scope', 'link']);
    return { ips: [ip] };
  }

  /**
   * The node's end of a pod's veth takes no IPv6 router advertisement (Calico's accept_ra=0,
   * CVE-2020-10749): with CAP_NET_RAW, the default, a pod could otherwise announce itself as the
   * node's IPv6 default router and give it an address of its prefix, drawing the node's IPv6
   * traffic. Set before the link is up, and again for a link an older agent made; a kernel
   * without IPv6 has nothing to set.
   */
  async #refuseRouterAdvertisements(host: string): Promise<void> {
    await this.#run(['sysctl', '-qw', `net.ipv6.conf.${host}.accept_ra=0`]).catch((err: Error) => {
      if (!/No such file or directory|cannot stat/.test(err.message)) throw err;
    });
  }

  async tearDown(pod: PodNetRef): Promise<void> {
    const host = hostInterfaceName(pod.uid);
    // Deleting one end removes the pair and, with it, the route.
    await this.#run(['ip', 'link', 'del', host]).catch((err: Error) => {
      if (!/Cannot find device|does not exist/.test(err.message)) throw err;
    });
    this.#ipam.release(pod.uid);
  }

  addressOf(uid: string): string | undefined {
    return this.#ipam.addressOf(uid);
  }
}
