/**
 * Routes to the other nodes' pods: for each Node with a podCIDR and an InternalIP, a route for the
 * podCIDR via that address (nodes on one underlay link, as the tests build and as a flat L2
 * network gives). Kept equal to the Node objects: added, replaced and removed as they change.
 */
import type { K8sObject } from '../../client/types.ts';
import type { Run } from './ip-command.ts';

export function desiredRoutes(nodes: readonly K8sObject[], self: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    if (n.metadata.name === self) continue;
    const cidr = (n.spec?.podCIDR as string | undefined) ?? '';
    const ip = ((n.status?.addresses as Array<{ type: string; address: string }> | undefined) ?? []).find((a) => a.type === 'InternalIP')?.address;
    if (cidr && ip && !cidr.includes(':') && !ip.includes(':')) out.set(cidr, ip);
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
