/**
 * Where a pod's streams are served: its node agent's address and port, as kube-apiserver's
 * NodeConnectionInfoGetter reads them from the Node (addresses in the preference order kubeadm
 * configures, --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname; the port from
 * status.daemonEndpoints.kubeletEndpoint, 10250 when unset), and the container named by the
 * request checked against the pod as upstream's validateContainer (one container: it is the
 * default; several: the caller must choose, and is told the names).
 */
import { badRequest, notFound } from '../../api/errors.ts';
import { objectKey, type ResourceDef } from '../../api/registry/resource-def.ts';
import type { RestContext } from '../rest/context.ts';

type Obj = Record<string, any>;

const PREFERRED_ADDRESS_TYPES = ['InternalIP', 'ExternalIP', 'Hostname'];
const DEFAULT_KUBELET_PORT = 10250;

export interface KubeletAddress {
  host: string;
  port: number;
}

export async function readPod(ctx: RestContext, podsDef: ResourceDef, namespace: string, name: string): Promise<Obj> {
  const s = await ctx.store.get<Obj>(objectKey(podsDef, namespace, name));
  if (!s) throw notFound({ group: '', resource: 'pods' }, name);
  return s.value;
}

function containerNames(pod: Obj): string[] {
  const spec = pod.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c: Obj) => String(c.name));
}

/** upstream validateContainer: the container to use, or a 400 naming the choices. */
export function podContainer(pod: Obj, requested: string): string {
  const name = String(pod.metadata?.name ?? '');
  if (requested === '') {
    const containers: Obj[] = pod.spec?.containers ?? [];
    if (containers.length === 1) return String(containers[0]!.name);
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containerNames(pod).join(' ')}]`);
  }
  if (!containerNames(pod).includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

export async function kubeletAddress(ctx: RestContext, nodeName: string): Promise<KubeletAddress> {
  const nodesDef = ctx.registry.get('', 'v1', 'nodes');
  const s = nodesDef ? await ctx.store.get<Obj>(objectKey(nodesDef, '', nodeName)) : undefined;
  if (!s) throw notFound({ group: '', resource: 'nodes' }, nodeName);
  const addresses: Array<{ type?: string; address?: string }> = s.value.status?.addresses ?? [];
  let host: string | undefined;
  for (const t of PREFERRED_ADDRESS_TYPES) {
    host = addresses.find((a) => a.type === t && a.address)?.address;
    if (host) break;
  }
  if (!host) throw badRequest(`no preferred addresses found; known addresses: [${addresses.map((a) => `{${a.type} ${a.address}}`).join(' ')}]`);
  const port = Number(s.value.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0);
  return { host, port: port > 0 && port <= 65535 ? port : DEFAULT_KUBELET_PORT };
}
