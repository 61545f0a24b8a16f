/**
 * Routes to the other nodes' pods: for each Node with a podCIDR and an InternalIP, a route for the
 * podCIDR via that address (nodes on one underlay link, as the tests build and as a flat L2
 * network gives). Kept equal to the Node objects: added, replaced and removed as they change.
 */
import type { K8sObject } from '../../client/types.ts';
import type { Run } from './ip-command.ts';
import { parseCIDRSloppy, parseIPSloppy } from '../../../util/ip-sloppy.ts';

export function desiredRoutes(nodes: readonly K8sObject[], self: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    if (n.metadata.name === self) continue;
    // Canonical, as the API's legacy forms are read upstream: `ip route` would take "010.244.1.0/24"
    // as octal or refuse host bits ("10.244.1.5/24").
    const cidr = parseCIDRSloppy(String(n.spec?.podCIDR ?? ''));
    const address = ((n.status?.addresses as Array<{ type: string; address: string }> | undefined) ?? []).find((a) => a.type === 'InternalIP')?.address;
    const ip = address === undefined ? undefined : parseIPSloppy(address);
    if (cidr?.family === 4 && ip?.family === 4) out.set(cidr.canonical, ip.canonical);
  }
  return out;
}

export class NodeRoutes {
  readonly #run: Run;
  #installed = new Map<string, string>();

  constructor(run: Run) {
    this.#run = run;
  }

  async sync(desired: Map<string, string>): Promise<void> {
    for (const [cidr, via] of desired) {
      if (this.#installed.get(cidr) === via) continue;
      await this.#run(['ip', 'route', 'replace', cidr, 'via', via]);
      this.#installed.set(cidr, via);
    }
    for (const cidr of [...this.#installed.keys()]) {
      if (desired.has(cidr)) continue;
      await this.#run(['ip', 'route', 'del', cidr]).catch(() => {});
      this.#installed.delete(cidr);
    }
  }
}
